import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as GameId from "../../hosts/contracts/GameId.js"
import * as Nation from "../../hosts/contracts/Nation.js"
import * as Registry from "../../hosts/contracts/Registry.js"
import * as RondelMessages from "../../hosts/contracts/RondelMessages.js"
import * as Space from "../../hosts/contracts/Space.js"

// A test-local history: suppose v1 of Move called the target `to`, and this release writes v2 (today's Move).
// Publishing v2 is one `upcast` entry next to the new schema; nothing else changes.
const MoveV1 = Schema.TaggedStruct("Move", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  to: Space.Space
})

const registry = Registry.make([
  Registry.define(RondelMessages.Move, {
    version: 2,
    upcasts: [
      Registry.upcast(1, MoveV1, (v1) =>
        RondelMessages.Move.make({ gameId: v1.gameId, nation: v1.nation, space: v1.to })
      )
    ]
  }),
  Registry.define(RondelMessages.SetToStartingPositions)
])

describe("Registry: versions", () => {
  it("reads an older version through its upcast", () => {
    assert.deepStrictEqual(
      registry.decode("Move", 1, { gameId: "game-1", nation: "Italy", to: "Factory" }),
      Either.right(
        RondelMessages.Move.make({ gameId: GameId.GameId.make("game-1"), nation: "Italy", space: "Factory" })
      )
    )
  })

  it("reads the current version directly and writes only the current version", () => {
    const current = RondelMessages.Move.make({
      gameId: GameId.GameId.make("game-1"),
      nation: "Italy",
      space: "Import"
    })
    const encoded = registry.encode(current)
    assert.deepStrictEqual(encoded, {
      type: "Move",
      version: 2,
      payload: { _tag: "Move", gameId: "game-1", nation: "Italy", space: "Import" }
    })
    assert.deepStrictEqual(registry.decode("Move", 2, encoded.payload), Either.right(current))
    assert.strictEqual(registry.versionOf("Move"), 2)
    assert.strictEqual(registry.versionOf("SetToStartingPositions"), 1)
  })

  it("validates an old payload with the old schema, naming the old field", () => {
    const error = Either.flip(
      registry.decode("Move", 1, { gameId: "game-1", nation: "Italy", to: "Moon" })
    ).pipe(Either.getOrThrow)
    assert.strictEqual(error.field, "to")
    assert.include(error.problem, "must be one of Investor")
    // A v2-shaped payload labelled v1 is missing the v1 field.
    const mislabelled = Either.flip(
      registry.decode("Move", 1, { gameId: "game-1", nation: "Italy", space: "Import" })
    ).pipe(Either.getOrThrow)
    assert.deepStrictEqual([mislabelled.field, mislabelled.problem], ["to", "is missing"])
  })

  it("checks an upcast result against the current schema", () => {
    const sloppy = Registry.make([
      Registry.define(RondelMessages.Move, {
        version: 2,
        upcasts: [
          Registry.upcast(
            1,
            Schema.Struct({ gameId: Schema.String }),
            (v1) =>
              ({ _tag: "Move", ...v1, nation: "Italy", space: "Nowhere" }) as unknown as RondelMessages.Move
          )
        ]
      })
    ])
    const error = Either.flip(sloppy.decode("Move", 1, { gameId: "game-1" })).pipe(Either.getOrThrow)
    assert.deepStrictEqual([error.messageType, error.field], ["Move", "space"])
  })

  it("names the versions it reads when refusing an unknown one", () => {
    const error = Either.flip(registry.decode("Move", 3, {})).pipe(Either.getOrThrow)
    assert.strictEqual(error.problem, "Move v3 is not known; this release reads v1, v2")
  })

  it("refuses two definitions of one type", () => {
    assert.throws(
      () => Registry.make([Registry.define(RondelMessages.Move), Registry.define(RondelMessages.Move)]),
      "Message type Move is defined twice"
    )
  })

  it("reads the type name from the schema's tag", () => {
    assert.strictEqual(Registry.tagOf(RondelMessages.MovementAwaitingPayment), "MovementAwaitingPayment")
    assert.throws(() => Registry.tagOf(Schema.Struct({ a: Schema.String })), /not a tagged struct/)
  })
})
