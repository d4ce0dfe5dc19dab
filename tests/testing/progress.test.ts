import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, Schedule, Schema, TestClock } from "effect"
import * as Decision from "../../src/commit/Decision.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"
import * as Progress from "../../src/testing/internal/progress.js"
import * as TestApp from "../../src/testing/TestApp.js"

// Waits on real I/O judge progress, not wall time: they fail when nothing moved for a while, however long the work
// takes while it moves (a loaded machine is slower, not broken).

const Add = Schema.TaggedStruct("Add", { counter: Schema.String, n: Schema.Int })
const counter = HostDefinition.fromSchemas({
  name: "counter",
  state: Schema.Struct({ total: Schema.Int }),
  inbound: Add,
  keyOf: (m) => m.counter,
  decide: (state, m) => Decision.make({ state: { total: (state?.total ?? 0) + m.n } })
})

describe("waits that judge progress", () => {
  it.effect("a wait whose work keeps moving is not limited in time; it ends when the work is done", () =>
    Effect.gen(function* () {
      let looks = 0
      const look = Effect.sync(() => {
        looks++
        return { done: looks === 100, progress: looks }
      })
      const waiting = yield* Effect.fork(
        Progress.until("a slow job", look, { stall: "1 second", interval: "100 millis" })
      )
      // 100 looks, 100 ms apart: 10 seconds of clock time, far beyond the stall limit, all of it moving.
      for (let i = 0; i < 200 && waiting.unsafePoll() === null; i++) yield* TestClock.adjust("100 millis")
      assert.deepStrictEqual(yield* Fiber.await(waiting), Exit.void)
      assert.strictEqual(looks, 100)
      assert.strictEqual(yield* Clock.currentTimeMillis, 9_900)
    })
  )

  it.effect(
    "a wait whose work stops moving fails once the stall limit has passed, naming what it waited for",
    () =>
      Effect.gen(function* () {
        let looks = 0
        const look = Effect.sync(() => ({ done: false, progress: Math.min(++looks, 5) }))
        const waiting = yield* Effect.fork(Progress.until("a stuck job", look, { stall: "1 second" }))
        // Moving for the first 5 looks (100 ms), then stuck: not failed just before 1 s after the last move.
        for (let i = 0; i < 53; i++) yield* TestClock.adjust("20 millis")
        assert.isNull(waiting.unsafePoll(), "failed before the stall limit")
        for (let i = 0; i < 5; i++) yield* TestClock.adjust("20 millis")
        const exit = yield* Fiber.await(waiting)
        assert.isTrue(Exit.isFailure(exit), "still waiting after the stall limit")
        const error = yield* Effect.flip(exit)
        assert.strictEqual(error._tag, "Stalled")
        assert.include(error.message, "nothing moved for 1000 ms (progress stuck at 5): a stuck job")
      })
  )

  // Progress.settle on the memory application, its clock driven here in 50 ms steps as time would pass.
  const drive = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) =>
    Effect.gen(function* () {
      for (let i = 0; i < 2_000 && fiber.unsafePoll() === null; i++) yield* TestClock.adjust("50 millis")
      return yield* Fiber.await(fiber)
    })

  it.effect(
    "settle fails with SettleTimeout when nothing moves for its stall limit (a restart an hour away)",
    () =>
      Effect.gen(function* () {
        const host = yield* TestApp.host(counter)
        yield* TestApp.crashOn({ host: "counter" }, 1)
        yield* host.send(Add.make({ counter: "a", n: 1 }))
        const exit = yield* drive(yield* Effect.fork(Progress.settle({ stall: "1 second" })))
        const error = yield* Effect.flip(exit)
        assert.deepStrictEqual(
          error._tag === "SettleTimeout" ? [error.timeoutMillis, error.pending] : error,
          [1_000, 2] // the message held for its retry + the restart waiting
        )
        assert.isBelow(yield* Clock.currentTimeMillis, 3_000, "waited far longer than the stall limit")
      }).pipe(
        Effect.provide(TestApp.layer([counter], { supervision: { backoff: Schedule.spaced("1 hour") } }))
      )
  )

  it.effect("settle waits for work that keeps moving, however long it takes in all", () =>
    Effect.gen(function* () {
      const host = yield* TestApp.host(counter)
      // One key, 8 messages, each crashing once and restarted 500 ms later: 4 seconds in all, a message handled
      // every 500 ms, never 1 second without one.
      for (let i = 1; i <= 8; i++) {
        yield* TestApp.crashOn({ host: "counter", messageId: `m-${i}` }, 1)
        yield* host.send(Add.make({ counter: "a", n: i }))
      }
      const exit = yield* drive(yield* Effect.fork(Progress.settle({ stall: "1 second" })))
      assert.deepStrictEqual(exit, Exit.void)
      assert.deepStrictEqual(yield* TestApp.stateOf(counter, "a"), { total: 36 })
      assert.isAtLeast(
        yield* Clock.currentTimeMillis,
        4_000,
        "the work did not take longer than the stall limit"
      )
    }).pipe(
      Effect.provide(TestApp.layer([counter], { supervision: { backoff: Schedule.spaced("500 millis") } }))
    )
  )
})
