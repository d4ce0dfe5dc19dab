import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"
import * as Doorbell from "../../src/commit/internal/doorbell.js"

// Every wait is forked and looked at while the TestClock stands still (or after moving it exactly), so a wait that
// does not end when it should fails an assertion here instead of hanging the test until the runner's timeout.

const poll = Duration.millis(250)

/** Lets forked fibers run without moving the clock, then tells whether `fiber` has ended. */
const ended = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.gen(function* () {
    for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
    return Option.isSome(yield* Fiber.poll(fiber))
  })

describe("relay loop doorbell", () => {
  it.effect("a ring after the round began makes the wait return at once", () =>
    Effect.gen(function* () {
      const bell = Doorbell.make()
      const seen = bell.rung()
      bell.ring()
      const waiting = yield* Effect.fork(bell.waitBeyond(seen, poll))
      assert.isTrue(yield* ended(waiting), "waited although the bell rang after the round began")
      assert.strictEqual(bell.rung(), 1)
    })
  )

  it.effect("rings before the round began were served by it: the wait lasts until the next ring", () =>
    Effect.gen(function* () {
      const bell = Doorbell.make()
      bell.ring()
      bell.ring()
      const waiting = yield* Effect.fork(bell.waitBeyond(bell.rung(), poll))
      assert.isFalse(yield* ended(waiting), "returned for rings the round already served")
      yield* TestClock.adjust("100 millis")
      assert.isFalse(yield* ended(waiting), "still waiting")
      bell.ring()
      assert.isTrue(yield* ended(waiting), "a new ring did not end the wait")
    })
  )

  it.effect(
    "without a ring the wait ends after the poll interval; a ring wakes every waiting loop, even one about to wait",
    () =>
      Effect.gen(function* () {
        const bell = Doorbell.make()
        const polled = yield* Effect.fork(bell.waitBeyond(bell.rung(), poll))
        yield* TestClock.adjust(Duration.subtract(poll, Duration.millis(1)))
        assert.isFalse(yield* ended(polled), "ended before the poll interval")
        yield* TestClock.adjust("1 millis")
        assert.isTrue(yield* ended(polled), "not ended after the poll interval")

        const first = yield* Effect.fork(bell.waitBeyond(bell.rung(), poll))
        assert.isFalse(yield* ended(first), "ended without a ring") // and registered as a waiting loop
        // This one has checked the count (one scheduler turn) but not registered yet when the bell rings.
        const second = yield* Effect.fork(bell.waitBeyond(bell.rung(), poll))
        yield* Effect.yieldNow()
        bell.ring()
        assert.isTrue(yield* ended(first), "the waiting loop was not woken")
        assert.isTrue(yield* ended(second), "the loop about to wait was not woken")
      })
  )
})
