import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, TestClock } from "effect"
import * as Decision from "../../src/commit/Decision.js"
import * as GivenWhenThen from "../../src/testing/GivenWhenThen.js"
import * as TestApp from "../../src/testing/TestApp.js"
import * as Deadline from "./deadlineHost.js"

// Timers on the memory boundary run on Effect's Clock: TestClock.adjust fires them, settle reports them and waits
// for them only when asked.

const app = TestApp.layer(Deadline.definitions, { idPrefix: "o" })

const place = (orderId: string, payWithinMillis = 60_000) =>
  Effect.flatMap(TestApp.host(Deadline.shop), (shop) =>
    shop.send(Deadline.PlaceOrder.make({ orderId, amount: 5, payWithinMillis }))
  )
const pay = (orderId: string) =>
  Effect.flatMap(TestApp.host(Deadline.payments), (payments) => payments.send(Deadline.Pay.make({ orderId })))

describe("timers on the memory boundary", () => {
  it("a decision schedules with a derived id and cancels by it (pure decide)", () => {
    const placed = GivenWhenThen.withId(
      "p-1",
      Deadline.PlaceOrder.make({ orderId: "a", amount: 5, payWithinMillis: 1000 })
    )
    GivenWhenThen.for(Deadline.shop)
      .given()
      .when(placed)
      .thenSchedules({ scheduled: [Decision.after(1000, Deadline.PaymentDeadline.make({ orderId: "a" }))] })
      .thenState((order) => assert.strictEqual(order?.deadline, "p-1.t0"))
    assert.strictEqual(Decision.scheduledId({ messageId: placed.messageId }, 0), "p-1.t0")
    GivenWhenThen.for(Deadline.shop)
      .given(placed)
      .when(Deadline.PaymentReceived.make({ orderId: "a" }))
      .thenEmits({ events: [Deadline.OrderPaid.make({ orderId: "a" })] })
      .thenSchedules({ cancelled: ["p-1.t0"] })
    // A deadline that lost the race with its cancellation changes nothing but its count.
    GivenWhenThen.for(Deadline.shop)
      .given(placed, Deadline.PaymentReceived.make({ orderId: "a" }))
      .when(Deadline.PaymentDeadline.make({ orderId: "a" }))
      .thenEmits({})
      .thenSchedules({})
  })

  it.effect("the deadline fires on the clock, not before: TestClock.adjust moves it", () =>
    Effect.gen(function* () {
      const start = yield* Clock.currentTimeMillis
      yield* place("a")
      yield* TestApp.settle()
      const pending = yield* TestApp.timers
      assert.deepStrictEqual(
        pending.map((t) => [
          t.messageId,
          t.host,
          t.destination,
          t.type,
          t.key,
          t.dueAt - start,
          t.causationId
        ]),
        [["o-1.t0", "shop", "shop", "PaymentDeadline", "a", 60_000, "o-1"]]
      )
      yield* TestClock.adjust("59999 millis")
      yield* TestApp.settle()
      assert.strictEqual((yield* TestApp.stateOf(Deadline.shop, "a"))?.status, "AwaitingPayment")
      yield* TestClock.adjust("1 millis")
      yield* TestApp.settle()
      assert.strictEqual((yield* TestApp.stateOf(Deadline.shop, "a"))?.status, "Expired")
      assert.deepStrictEqual(yield* TestApp.stateOf(Deadline.payments, "a"), {
        requested: true,
        paid: false,
        cancelled: true
      })
      assert.deepStrictEqual(yield* TestApp.timers, [])
      const recorder = yield* TestApp.delivered
      const consumed = yield* recorder.consumed({ host: "shop", type: "PaymentDeadline" })
      // The scheduled message occurs at its due time: decide sees that time as `now`.
      assert.deepStrictEqual(
        consumed.map((e) => [e.messageId, e.occurredAt - start]),
        [["o-1.t0", 60_000]]
      )
    }).pipe(Effect.provide(app))
  )

  it.effect("paid before the deadline: the deadline is cancelled and never fires", () =>
    Effect.gen(function* () {
      yield* place("b")
      yield* TestApp.settle()
      yield* pay("b")
      yield* TestApp.settle()
      assert.strictEqual((yield* TestApp.stateOf(Deadline.shop, "b"))?.status, "Paid")
      assert.deepStrictEqual(yield* TestApp.timers, [])
      yield* TestClock.adjust("10 minutes")
      yield* TestApp.settle({ timers: "wait" })
      const order = yield* TestApp.stateOf(Deadline.shop, "b")
      assert.deepStrictEqual([order?.status, order?.deadlinesSeen], ["Paid", 0])
      const recorder = yield* TestApp.delivered
      assert.deepStrictEqual(yield* recorder.consumed({ type: "PaymentDeadline" }), [])
      const audit = yield* TestApp.auditOf("shop", "b")
      assert.deepStrictEqual(
        audit.map((e) => [e.message.type, e.scheduled?.map((s) => s.envelope.messageId), e.cancelled]),
        [
          ["PlaceOrder", ["o-1.t0"], undefined],
          ["PaymentReceived", undefined, ["o-1.t0"]]
        ]
      )
    }).pipe(Effect.provide(app))
  )

  it.effect("settle reports pending timers, waits for them only when asked, within its timeout", () =>
    Effect.gen(function* () {
      const start = yield* Clock.currentTimeMillis
      yield* place("c", 120_000)
      yield* TestApp.settle()
      assert.strictEqual(yield* Clock.currentTimeMillis, start)
      assert.strictEqual((yield* TestApp.timers).length, 1)
      const error = yield* Effect.flip(TestApp.settle({ timers: "wait", timeout: "1 minute" }))
      assert.deepStrictEqual(
        error._tag === "SettleTimeout" ? [error.timers, error.timeoutMillis] : error,
        [1, 60_000]
      )
      assert.strictEqual((yield* TestApp.stateOf(Deadline.shop, "c"))?.status, "AwaitingPayment")
      yield* TestApp.settle({ timers: "wait", timeout: "5 minutes" })
      assert.strictEqual(yield* Clock.currentTimeMillis, start + 120_000)
      assert.strictEqual((yield* TestApp.stateOf(Deadline.shop, "c"))?.status, "Expired")
      assert.deepStrictEqual(yield* TestApp.timers, [])
    }).pipe(Effect.provide(app))
  )

  it.effect(
    "the same decision handled again schedules nothing twice; a fired timer is not scheduled again",
    () =>
      Effect.gen(function* () {
        const envelope = yield* TestApp.envelopeOf(
          Deadline.shop,
          Deadline.PlaceOrder.make({ orderId: "d", amount: 5, payWithinMillis: 1000 })
        )
        // A decide that is not idempotent would schedule again on a redelivery: the timers refuse the same id.
        yield* TestApp.ask(Deadline.shop, envelope)
        yield* TestApp.redeliver("shop", envelope)
        yield* TestApp.settle()
        assert.strictEqual((yield* TestApp.timers).length, 1)
        yield* TestApp.settle({ timers: "wait" })
        const recorder = yield* TestApp.delivered
        assert.strictEqual((yield* recorder.consumed({ type: "PaymentDeadline" })).length, 1)
      }).pipe(Effect.provide(app))
  )

  it.effect("many timers fire in due order, each once, to their own keys", () =>
    Effect.gen(function* () {
      for (let i = 0; i < 20; i++) yield* place(`k${i}`, 1000 * (20 - i))
      yield* TestApp.settle()
      assert.deepStrictEqual(
        (yield* TestApp.timers).map((t) => t.key),
        Array.from({ length: 20 }, (_, i) => `k${19 - i}`)
      )
      yield* TestClock.adjust("20 seconds")
      yield* TestApp.settle()
      const recorder = yield* TestApp.delivered
      const fired = yield* recorder.consumed({ type: "PaymentDeadline" })
      assert.deepStrictEqual(
        fired.map((e) => e.key),
        Array.from({ length: 20 }, (_, i) => `k${19 - i}`)
      )
      assert.deepStrictEqual(yield* TestApp.timers, [])
    }).pipe(Effect.provide(app))
  )
})
