import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as StorableText from "../../src/commit/StorableText.js"

// Which values need the check for text no boundary can store (NUL, lone surrogates), and the check itself.

describe("StorableText", () => {
  it("knows the types that hold no text: numbers, booleans, literals and structs or tuples of them", () => {
    const noText = [
      Schema.Struct({ value: Schema.Int }),
      Schema.Struct({
        on: Schema.Boolean,
        level: Schema.Literal("low", "high"),
        at: Schema.optional(Schema.Number)
      }),
      Schema.Tuple(Schema.Number, Schema.Array(Schema.Int.pipe(Schema.positive()))),
      Schema.Union(
        Schema.Struct({ _tag: Schema.Literal("A") }),
        Schema.Struct({ _tag: Schema.Literal("B"), n: Schema.Int })
      )
    ]
    for (const schema of noText) assert.isTrue(StorableText.holdsNoText(schema), String(schema.ast))
  })

  it("checks every type that may hold text: strings, records, unknown, declarations, odd field names", () => {
    const mayHoldText = [
      Schema.Struct({ name: Schema.String }),
      Schema.Struct({ nested: Schema.Array(Schema.Struct({ note: Schema.optional(Schema.String) })) }),
      Schema.Record({ key: Schema.String, value: Schema.Number }),
      Schema.Struct({ anything: Schema.Unknown }),
      Schema.Struct({ at: Schema.DateFromSelf }),
      Schema.Struct({ "bad\u0000name": Schema.Number }),
      Schema.Literal("\ud800"),
      Schema.Struct({ when: Schema.DateFromString })
    ]
    for (const schema of mayHoldText) assert.isFalse(StorableText.holdsNoText(schema), String(schema.ast))
  })

  it("finds a NUL or a lone surrogate and names where it is; surrogate pairs are fine", () => {
    assert.isUndefined(StorableText.problemIn({ text: "emoji \ud83d\ude00", list: ["a"] }))
    assert.include(StorableText.problemIn({ list: ["a", "b\u0000"] }) ?? "", "list.1")
    assert.include(StorableText.problemIn({ note: "\udc00" }) ?? "", "lone surrogate")
    assert.include(StorableText.problemIn({ "bad\u0000": 1 }) ?? "", "field name")
  })
})
