import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, TestClock } from "effect"
import * as Doorbell from "../../src/commit/internal/doorbell.js"

const poll = Duration.millis(250)

describe("relay loop doorbell", () => {
  it.effect("a ring after the round began makes the wait return at once", () =>
    Effect.gen(function* () {
      const bell = Doorbell.make()
      const seen = bell.rung()
      bell.ring()
      yield* bell.waitBeyond(seen, poll)
      assert.strictEqual(bell.rung(), 1)
    })
  )

  it.effect("rings before the round began were served by it: the wait lasts until the next ring", () =>
    Effect.gen(function* () {
      const bell = Doorbell.make()
      bell.ring()
      bell.ring()
      const waiting = yield* Effect.fork(bell.waitBeyond(bell.rung(), poll))
      yield* Effect.yieldNow()
      yield* TestClock.adjust("100 millis")
      assert.isTrue((yield* Fiber.poll(waiting))._tag === "None", "still waiting")
      bell.ring()
      yield* Fiber.join(waiting)
    })
  )

  it.effect(
    "without a ring the wait ends after the poll interval; a ring wakes every waiting loop, even one about to wait",
    () =>
      Effect.gen(function* () {
        const bell = Doorbell.make()
        const polled = yield* Effect.fork(bell.waitBeyond(bell.rung(), poll))
        yield* Effect.yieldNow()
        yield* TestClock.adjust(poll)
        yield* Fiber.join(polled)

        const first = yield* Effect.fork(bell.waitBeyond(bell.rung(), poll))
        yield* Effect.yieldNow()
        // This one checked the count but has not registered yet when the bell rings.
        const second = yield* Effect.fork(bell.waitBeyond(bell.rung(), poll))
        bell.ring()
        yield* Fiber.join(first)
        yield* Fiber.join(second)
      })
  )
})
