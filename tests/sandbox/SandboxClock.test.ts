import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Layer } from "effect"
import * as SandboxClock from "../../hosts/sandbox/SandboxClock.js"
import * as TestApp from "../../src/testing/TestApp.js"
import * as Deadline from "../app/deadlineHost.js"

// The sandbox's memory mode runs on real time plus what `clock advance` adds: an advance fires the timers that fall
// due by then, on the memory boundary's timers, without waiting.

describe("the sandbox's adjustable clock", () => {
  it.live("clock advance moves the clock and fires the deadlines due by then; later ones keep waiting", () =>
    Effect.gen(function* () {
      const { clock, service } = yield* SandboxClock.makeAdjustable
      yield* Effect.gen(function* () {
        const shop = yield* TestApp.host(Deadline.shop)
        yield* shop.send(Deadline.PlaceOrder.make({ orderId: "soon", amount: 1, payWithinMillis: 60_000 }))
        yield* shop.send(Deadline.PlaceOrder.make({ orderId: "late", amount: 1, payWithinMillis: 3_600_000 }))
        yield* TestApp.settle()
        assert.strictEqual((yield* TestApp.timers).length, 2)
        const before = yield* Clock.currentTimeMillis
        const after = yield* service.advance(Duration.minutes(2))
        assert.isAtLeast(after - before, 120_000)
        assert.strictEqual(yield* service.offset, 120_000)
        yield* TestApp.settle()
        // The sleeping timer woke at the advance, not after two real minutes.
        yield* TestApp.eventually(
          Effect.map(TestApp.stateOf(Deadline.shop, "soon"), (order) => order?.status === "Expired"),
          { label: "the deadline due within the advance to fire" }
        )
        assert.strictEqual((yield* TestApp.stateOf(Deadline.shop, "late"))?.status, "AwaitingPayment")
        assert.deepStrictEqual(
          (yield* TestApp.timers).map((t) => t.key),
          ["late"]
        )
      }).pipe(Effect.provide(TestApp.layer(Deadline.definitions).pipe(Layer.provide(Layer.setClock(clock)))))
    })
  )

  it.effect("Postgres mode's clock is real time and does not move", () =>
    Effect.gen(function* () {
      const clock = yield* SandboxClock.SandboxClock
      assert.isFalse(clock.adjustable)
      assert.strictEqual(yield* clock.offset, 0)
    }).pipe(Effect.provide(SandboxClock.layerReal))
  )
})
