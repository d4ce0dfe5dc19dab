import { Schema } from "effect"

const pattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/

/** A game's id: 1–64 letters, digits or `_ . : -`, starting with a letter or digit; the aggregate key of both hosts. */
export const GameId = Schema.String.pipe(
  Schema.filter((s) =>
    s.length === 0
      ? "must not be empty"
      : pattern.test(s)
        ? undefined
        : `must be 1–64 letters, digits or "_.:-", starting with a letter or digit; got ${JSON.stringify(s)}`
  ),
  Schema.annotations({
    arbitrary: () => (fc) => fc.stringMatching(pattern)
  }),
  Schema.brand("GameId"),
  Schema.annotations({ identifier: "GameId" })
)
/** A game's id: 1–64 letters, digits or `_ . : -`, starting with a letter or digit; the aggregate key of both hosts. */
export type GameId = typeof GameId.Type
