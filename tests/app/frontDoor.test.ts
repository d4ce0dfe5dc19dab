import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Bus from "../../src/commit/Bus.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as DirectCommit from "../../src/commit/DirectCommit.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import { frontDoorSuite, layerMemory } from "./frontDoor.js"

frontDoorSuite("the front door on the memory boundary", () => layerMemory)

describe("the memory boundary's remembered message ids", () => {
  const envelope = (id: string, text: string): Envelope.Envelope =>
    Envelope.make(
      id as Envelope.MessageId,
      "k",
      { type: "Note", version: 1, payload: { board: "k", text } },
      0
    )

  it.scoped("are bounded: the oldest are forgotten first; a refused message holds no id", () =>
    Effect.gen(function* () {
      const boundary = yield* CommitBoundary
      const bus = yield* Bus.Bus
      yield* bus.register("board", ["Note"], { tell: () => Effect.void, ask: () => Effect.void })
      yield* boundary.accept("board", envelope("a", "one"))
      assert.strictEqual(
        (yield* Effect.flip(boundary.accept("board", envelope("a", "two"))))._tag,
        "MessageIdReused"
      )
      yield* boundary.accept("board", envelope("b", "one"))
      yield* boundary.accept("board", envelope("c", "one"))
      // Three ids with room for two: "a" is forgotten, so another message under it is taken.
      yield* boundary.accept("board", envelope("a", "two"))
      assert.strictEqual(
        (yield* Effect.flip(boundary.accept("board", envelope("c", "two"))))._tag,
        "MessageIdReused"
      )

      const refused = yield* Effect.flip(boundary.accept("nobody", envelope("z", "one")))
      assert.strictEqual(refused._tag, "MessageNotAccepted")
      yield* bus.register("nobody", ["Note"], { tell: () => Effect.void, ask: () => Effect.void })
      yield* boundary.accept("nobody", envelope("z", "two"))
    }).pipe(
      Effect.provide(
        Layer.effect(CommitBoundary, DirectCommit.makeWith({ rememberedIds: 2 })).pipe(
          Layer.provideMerge(Layer.merge(Bus.layer, Faults.layer))
        )
      )
    )
  )
})
