import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schedule } from "effect"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import { settle } from "./helpers.js"

// discard: a durable owner (the Postgres relay) takes a parked message back; the actor keeps no copy, and a key
// stopped by its restart budget runs again once its last parked message is taken back.
describe("Actor.discard", () => {
  it.scoped("drops a parked message without running it, and frees a key stopped by its budget", () =>
    Effect.gen(function* () {
      let crashes = 3
      const handled: Array<string> = []
      const actor = yield* ActorSystem.spawn(
        {
          name: "discard",
          supervision: {
            backoff: Schedule.spaced("1 millis"),
            maxRestarts: 2,
            within: "1 minute",
            maxAttempts: 5
          }
        },
        (_key: string, message: string) =>
          Effect.suspend(() => {
            if (message === "bad" && crashes-- > 0) return Effect.die(new Error("boom"))
            handled.push(message)
            return Effect.succeed(message)
          })
      )
      const bad = yield* Effect.fork(Effect.exit(actor.ask("k", "bad")))
      yield* settle()
      const exit = yield* bad.await.pipe(Effect.flatten)
      assert.isTrue(Exit.isFailure(exit))
      const parked = yield* actor.parked
      assert.strictEqual(parked.length, 1)
      // The budget (2 restarts) is spent: the key refuses messages until its parked message is dealt with.
      assert.strictEqual((yield* actor.stats).stoppedKeys, 1)
      assert.strictEqual((yield* Effect.either(actor.tell("k", "next")))._tag, "Left")

      yield* actor.discard(parked[0]!.id)
      assert.deepStrictEqual(yield* actor.parked, [])
      assert.strictEqual((yield* actor.stats).stoppedKeys, 0)
      assert.strictEqual(yield* actor.ask("k", "next"), "next")
      assert.deepStrictEqual(handled, ["next"], "the discarded message was not run")
      assert.strictEqual(
        (yield* Effect.either(actor.discard(parked[0]!.id)))._tag,
        "Left",
        "NotParked the second time"
      )
    }).pipe(Effect.provide(ActorSystem.layer))
  )
})
