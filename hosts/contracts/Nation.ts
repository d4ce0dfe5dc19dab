import { ParseResult, Schema } from "effect"

/** Imperial's six Great Powers, in the rulebook's order. */
export const Nations = ["Austria-Hungary", "Italy", "France", "Great Britain", "Germany", "Russia"] as const

/** One of Imperial's six Great Powers, by its canonical name. */
export const Nation = Schema.Literal(...Nations).annotations({
  identifier: "Nation",
  message: (issue) => ({
    message: `must be one of ${Nations.join(", ")}; got ${JSON.stringify(issue.actual)}`,
    override: true
  })
})
/** One of Imperial's six Great Powers, by its canonical name. */
export type Nation = typeof Nation.Type

/** True for a canonical nation name. */
export const isNation = Schema.is(Nation)

const distinctNations = Schema.NonEmptyArray(Nation).pipe(
  Schema.filter((nations) => new Set(nations).size === nations.length || "must name each nation once"),
  Schema.annotations({
    arbitrary: () => (fc) =>
      fc
        .uniqueArray(fc.constantFrom(...Nations), { minLength: 1 })
        .map(([first, ...rest]) => [first!, ...rest] as const)
  })
)

/** The nations of one game: at least one; decoding keeps the first occurrence of each and drops repeats. */
export const NationList = Schema.transformOrFail(Schema.Array(Nation), Schema.typeSchema(distinctNations), {
  strict: true,
  decode: (nations, _, ast) => {
    const [first, ...rest] = [...new Set(nations)]
    return first === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, nations, "must name at least one nation"))
      : ParseResult.succeed([first, ...rest] as const)
  },
  encode: (nations) => ParseResult.succeed(nations)
}).annotations({ identifier: "NationList" })
/** The nations of one game: at least one, each once, in the order given. */
export type NationList = typeof NationList.Type
