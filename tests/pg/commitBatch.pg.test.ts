import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import type * as RondelState from "../../hosts/rondel/RondelState.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Relay from "../../src/commit/Relay.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import { freshDatabase } from "./support.js"

const envelope = (id: string, key: string): Envelope.Envelope =>
  Envelope.make(
    id as Envelope.MessageId,
    key,
    { type: "SetToStartingPositions", version: 1, payload: { gameId: key, nations: ["Italy"] } },
    0
  )

const positionOf = <E>(read: Effect.Effect<{ readonly state: unknown } | undefined, E>) =>
  Effect.map(read, (loaded) => (loaded?.state as RondelState.RondelState | undefined)?.nations[0]?.position)

const state = (
  gameId: string,
  position: RondelState.NationOnRondel["position"]
): RondelState.RondelState => ({
  gameId: gameId as GameId.GameId,
  nations: [{ nation: "Italy", position, pending: null }],
  recentMoves: []
})

// The batch commit's contract, straight through the boundary: version check, inbox dedupe, and a conflict that
// applies nothing and leaves the message free to be handled again.
describe("commit_batch", () => {
  it.live("commits with the expected version, refuses a stale one, drops a duplicate", () =>
    Effect.gen(function* () {
      const boundary = yield* CommitBoundary
      const relay = yield* Relay.Relay
      const host = RondelHost.definition
      const commit = (
        id: string,
        expectedVersion: number,
        position: RondelState.NationOnRondel["position"]
      ) =>
        boundary.commit({
          host,
          key: "cb-1",
          consumed: envelope(id, "cb-1"),
          expectedVersion,
          state: state("cb-1", position),
          events: [],
          commands: []
        })

      const first = yield* commit("cb-m1", 0, null)
      assert.deepStrictEqual([first.version, first.duplicate], [1, false])
      // A second writer that loaded version 0 too: conflict, nothing applied, its message not marked processed.
      const stale = yield* Effect.flip(commit("cb-m2", 0, "Import"))
      assert.strictEqual(stale._tag, "VersionConflict")
      assert.deepStrictEqual(yield* relay.messageStatus("cb-m2"), [])
      assert.strictEqual(yield* positionOf(boundary.read(host, "cb-1")), null)
      // Retried on the fresh version, the same message commits.
      const retried = yield* commit("cb-m2", 1, "Import")
      assert.deepStrictEqual([retried.version, retried.duplicate], [2, false])
      // The same message id again: a duplicate, nothing applied, version unchanged.
      const again = yield* commit("cb-m2", 2, "Taxation")
      assert.deepStrictEqual([again.duplicate], [true])
      assert.strictEqual(yield* positionOf(boundary.read(host, "cb-1")), "Import")
      assert.strictEqual((yield* boundary.audit("rondel", "cb-1")).length, 2)
    }).pipe(
      Effect.scoped,
      Effect.provide(
        Layer.unwrapScoped(
          Effect.map(freshDatabase(), ({ url }) => ImperialApp.layerPostgresApplication({ url, local: [] }))
        )
      )
    )
  )

  it.live("a conflict on a message that waits in the inbox leaves it pending for redelivery", () =>
    Effect.gen(function* () {
      const boundary = yield* CommitBoundary
      const relay = yield* Relay.Relay
      const host = RondelHost.definition
      yield* boundary.accept("rondel", envelope("cb-w1", "cb-2"))
      assert.strictEqual((yield* relay.messageStatus("cb-w1"))[0]?.status, "pending")
      const conflict = yield* Effect.flip(
        boundary.commit({
          host,
          key: "cb-2",
          consumed: envelope("cb-w1", "cb-2"),
          expectedVersion: 7,
          state: state("cb-2", null),
          events: [],
          commands: []
        })
      )
      assert.strictEqual(conflict._tag, "VersionConflict")
      assert.strictEqual((yield* relay.messageStatus("cb-w1"))[0]?.status, "pending")
    }).pipe(
      Effect.scoped,
      Effect.provide(
        Layer.unwrapScoped(
          Effect.map(freshDatabase(), ({ url }) => ImperialApp.layerPostgresApplication({ url, local: [] }))
        )
      )
    )
  )

  it.live("two commits of one key in one group: the first is written, the second is a conflict", () =>
    Effect.gen(function* () {
      const boundary = yield* CommitBoundary
      const relay = yield* Relay.Relay
      const host = RondelHost.definition
      const commit = (id: string, position: RondelState.NationOnRondel["position"]) =>
        Effect.either(
          boundary.commit({
            host,
            key: "cb-3",
            consumed: envelope(id, "cb-3"),
            expectedVersion: 0,
            state: state("cb-3", position),
            events: [],
            commands: []
          })
        )
      // Offered in one wave, so the group commit writes both in one transaction, in order: the second one's
      // version check sees the first one's write.
      const [first, second] = yield* Effect.all([commit("cb-k1", "Import"), commit("cb-k2", "Taxation")], {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(first, Either.right({ version: 1, duplicate: false, failures: [] }))
      assert.strictEqual(Either.isLeft(second) && second.left._tag, "VersionConflict")
      assert.strictEqual(yield* positionOf(boundary.read(host, "cb-3")), "Import")
      assert.deepStrictEqual(yield* relay.messageStatus("cb-k2"), [])
      assert.strictEqual((yield* boundary.audit("rondel", "cb-3")).length, 1)
    }).pipe(
      Effect.scoped,
      Effect.provide(
        Layer.unwrapScoped(
          Effect.map(freshDatabase(), ({ url }) => ImperialApp.layerPostgresApplication({ url, local: [] }))
        )
      )
    )
  )
})
