import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schema } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import { CommitBoundary, VersionConflict } from "../../src/commit/CommitBoundary.js"
import * as DirectCommit from "../../src/commit/DirectCommit.js"
import * as Decision from "../../src/commit/Decision.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"

// A commit that meets a version conflict (another writer moved the key) runs the whole handling again, up to
// `maxConflictRetries` times; then the handling fails with ConflictRetriesExhausted, reported on the feed.

const Add = Schema.TaggedStruct("Add", { key: Schema.String, amount: Schema.Int })
let decided = 0
const tally = HostDefinition.fromSchemas({
  name: "tally",
  state: Schema.Struct({ total: Schema.Int }),
  inbound: Add,
  keyOf: (add) => add.key,
  decide: (state, add) => {
    decided++
    return Decision.make({ state: { total: (state?.total ?? 0) + add.amount } })
  }
})

/** The memory boundary, whose commits of a key listed in `conflicts` fail that many times first. */
const conflicting = (conflicts: Map<string, number>) =>
  Layer.effect(
    CommitBoundary,
    Effect.map(CommitBoundary, (inner) =>
      CommitBoundary.of({
        ...inner,
        commit: (request) => {
          const left = conflicts.get(request.key) ?? 0
          if (left === 0) return inner.commit(request)
          conflicts.set(request.key, left - 1)
          return Effect.fail(new VersionConflict({ host: "tally", key: request.key, expected: 0 }))
        }
      })
    )
  )

const conflicts = new Map<string, number>()
const layer = Application.layer([tally], { host: () => ({ maxConflictRetries: 2 }) }).pipe(
  Layer.provideMerge(conflicting(conflicts)),
  Layer.provideMerge(DirectCommit.layer),
  Layer.provideMerge(Layer.mergeAll(ActorSystem.layer, MessageIds.layer, Bus.layer))
)

describe("version conflicts", () => {
  it.scoped("a handling is run again after a conflict, and fails clearly once the retries are spent", () =>
    Effect.gen(function* () {
      const app = yield* Application.Application
      const host = app.host(tally)
      const feed = yield* (yield* Bus.Bus).subscribe
      const ask = (key: string) => {
        const wire = tally.encode(Add.make({ key, amount: 5 }))
        return Effect.exit(host.actor.ask(key, Envelope.make(MessageIds.random(), key, wire, 0)))
      }

      conflicts.set("a", 2)
      decided = 0
      assert.isTrue(Exit.isSuccess(yield* ask("a")))
      assert.strictEqual(decided, 3)
      assert.strictEqual((yield* host.state("a"))?.total, 5)

      conflicts.set("b", 3)
      decided = 0
      const exhausted = yield* ask("b")
      assert.strictEqual(decided, 3)
      assert.isTrue(Exit.isFailure(exhausted))
      assert.include(String(exhausted), "ConflictRetriesExhausted")
      assert.isUndefined(yield* host.state("b"))
      const observed = yield* feed.takeAll
      assert.isTrue(
        [...observed].some(
          (observation) =>
            observation._tag === "HandlingFailed" && observation.error.startsWith("ConflictRetriesExhausted")
        )
      )
    }).pipe(Effect.provide(layer))
  )
})
