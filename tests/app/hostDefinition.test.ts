import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as Decision from "../../src/commit/Decision.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"

// The wire codec fromSchemas derives: a message whose encoded form is its type is sent as it is (no encoding work);
// one whose schema transforms is encoded; the receiving decoder checks both like any input.

const Plain = Schema.TaggedStruct("Plain", {
  key: Schema.String,
  count: Schema.Int.pipe(Schema.positive()),
  tags: Schema.Array(Schema.String),
  note: Schema.optionalWith(Schema.String, { exact: true })
})
const Dated = Schema.TaggedStruct("Dated", { key: Schema.String, at: Schema.DateFromString })
const Defaulted = Schema.TaggedStruct("Defaulted", {
  key: Schema.String,
  size: Schema.optionalWith(Schema.Int, { default: () => 1 })
})

const host = HostDefinition.fromSchemas({
  name: "codec",
  state: Schema.Struct({}),
  inbound: Schema.Union(Plain, Dated, Defaulted),
  keyOf: (message) => message.key,
  decide: () => Decision.none
})

describe("HostDefinition.fromSchemas codec", () => {
  it("sends a message whose encoded form is its type as it is, and decodes it back", () => {
    const message = Plain.make({ key: "k", count: 2, tags: ["a"] })
    const wire = host.encode(message)
    assert.strictEqual(wire.type, "Plain")
    assert.strictEqual(wire.version, 1)
    assert.strictEqual(wire.payload, message)
    assert.deepStrictEqual(host.decode(wire), Either.right(message))
  })

  it("encodes a message whose schema transforms", () => {
    const at = new Date("2026-01-02T03:04:05.000Z")
    const wire = host.encode(Dated.make({ key: "k", at }))
    assert.deepStrictEqual(wire.payload, { _tag: "Dated", key: "k", at: "2026-01-02T03:04:05.000Z" })
    const decoded = host.decode(JSON.parse(JSON.stringify(wire)))
    assert.isTrue(
      Either.isRight(decoded) && (decoded.right as typeof Dated.Type).at.getTime() === at.getTime()
    )
    const defaulted = Defaulted.make({ key: "k" })
    assert.notStrictEqual(host.encode(defaulted).payload, defaulted)
  })

  it("checks a message sent as it is when it is received: the decoder refuses what the schema does not allow", () => {
    // Not validated on the way out (a cast hides the bad count from the compiler), refused on the way in.
    const wire = host.encode({ _tag: "Plain", key: "k", count: 0, tags: [] } as unknown as typeof Plain.Type)
    const decoded = host.decode(JSON.parse(JSON.stringify(wire)))
    assert.isTrue(Either.isLeft(decoded))
    if (Either.isLeft(decoded)) assert.include(decoded.left.message, "count")
  })

  it("decodes payloads without their tag (as other producers write them)", () => {
    const decoded = host.decode({ type: "Plain", version: 1, payload: { key: "k", count: 1, tags: [] } })
    assert.deepStrictEqual(decoded, Either.right(Plain.make({ key: "k", count: 1, tags: [] })))
  })
})
