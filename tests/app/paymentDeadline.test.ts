import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import type * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as Decision from "../../src/commit/Decision.js"
import type { AnyHostDefinition } from "../../src/commit/HostDefinition.js"
import * as TestApp from "../../src/testing/TestApp.js"
import { accounting, balancesOf, commandsOf, eventsOf, game, move, open, start } from "./imperialFixtures.js"

// Rondel's payment deadline end to end on the memory boundary, on the TestClock: a move whose payment outcome never
// comes is rejected as PaymentTimedOut when its deadline falls due, and its charge is voided (refunded if paid).

const deadline = "2 minutes"
const rondel = RondelHost.makeDefinition({ paymentDeadline: deadline })

/** The host, deaf to the messages of `type`: it takes them and does nothing, as a context that never answers. */
const deafTo = <D extends AnyHostDefinition>(definition: D, type: Contracts.Message["_tag"]): D => ({
  ...definition,
  decide: (state, message, context) =>
    (message as { readonly _tag: string })._tag === type
      ? Decision.none
      : definition.decide(state, message, context)
})

const toRondel = (command: RondelClient.RondelCommand) =>
  Effect.flatMap(TestApp.host(rondel), (host) => host.send(command))

/** Germany on Investor, then a 5-step move to Factory (4M) waiting for its payment. */
const paidMoveOf = (gameId: ReturnType<typeof game>, accountingHost: AnyHostDefinition) =>
  Effect.gen(function* () {
    yield* toRondel(start(gameId, ["Germany"]))
    yield* Effect.flatMap(TestApp.host(accountingHost), (host) => host.send(open(gameId, ["Germany"], 20)))
    yield* TestApp.settle()
    yield* toRondel(move(gameId, "Germany", "Investor"))
    yield* TestApp.settle()
    const envelope = yield* toRondel(move(gameId, "Germany", "Factory"))
    yield* TestApp.settle()
    return envelope.messageId
  })

const positionOf = (gameId: ReturnType<typeof game>) =>
  Effect.map(TestApp.stateOf(rondel, gameId), (state) => state?.nations[0])

describe("Rondel's payment deadline on the memory boundary", () => {
  const silentAccounting = deafTo(accounting, "ChargeMovement")

  it.effect(
    "Accounting never answers: the deadline fires on the clock, voids the charge, rejects the move",
    () =>
      Effect.gen(function* () {
        const gameId = game("deadline-silent")
        const moveId = yield* paidMoveOf(gameId, silentAccounting)
        const timers = yield* TestApp.timers
        assert.deepStrictEqual(
          timers.map((t) => [t.messageId, t.host, t.destination, t.type, t.key, t.causationId]),
          [[`${moveId}.t0`, "rondel", "rondel", "PaymentDeadline", gameId, moveId]]
        )
        assert.strictEqual((yield* positionOf(gameId))?.pending?.deadline, `${moveId}.t0`)

        yield* TestClock.adjust("119 seconds")
        yield* TestApp.settle()
        assert.strictEqual(
          (yield* positionOf(gameId))?.pending?.space,
          "Factory",
          "still waiting before the deadline"
        )

        yield* TestClock.adjust("1 second")
        yield* TestApp.settle()
        const entry = yield* positionOf(gameId)
        assert.deepStrictEqual([entry?.position, entry?.pending], ["Investor", null])
        const rejections = yield* eventsOf(gameId, "MoveToActionSpaceRejected")
        assert.deepStrictEqual(
          rejections.map((r) => [r.nation, r.space, r.reason]),
          [["Germany", "Factory", "PaymentTimedOut"]]
        )
        const voids = yield* commandsOf(gameId, "VoidCharge")
        assert.deepStrictEqual(
          voids.map((v) => v.billingId),
          [`bill-${moveId}`]
        )
        assert.deepStrictEqual(yield* TestApp.timers, [])
        // Accounting took the void (before any charge: remembered) and no money moved.
        assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 20, Bank: -20 })
      }).pipe(Effect.provide(TestApp.layer([rondel, silentAccounting], { idPrefix: "s" })))
  )

  const lostOutcome = deafTo(rondel, "RondelInvoicePaid")

  it.effect("Accounting paid but the outcome is lost: the timeout's void refunds the payment", () =>
    Effect.gen(function* () {
      const gameId = game("deadline-refund")
      yield* Effect.flatMap(TestApp.host(lostOutcome), (host) => host.send(start(gameId, ["Germany"])))
      yield* Effect.flatMap(TestApp.host(accounting), (host) => host.send(open(gameId, ["Germany"], 20)))
      yield* TestApp.settle()
      yield* Effect.flatMap(TestApp.host(lostOutcome), (host) =>
        host.send(move(gameId, "Germany", "Investor"))
      )
      yield* TestApp.settle()
      yield* Effect.flatMap(TestApp.host(lostOutcome), (host) =>
        host.send(move(gameId, "Germany", "Factory"))
      )
      yield* TestApp.settle()
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 16, Bank: -16 }, "paid")
      assert.strictEqual((yield* TestApp.timers).length, 1)

      yield* TestClock.adjust(deadline)
      yield* TestApp.settle()
      const rejections = yield* eventsOf(gameId, "MoveToActionSpaceRejected")
      assert.deepStrictEqual(
        rejections.map((r) => r.reason),
        ["PaymentTimedOut"]
      )
      const refunds = yield* eventsOf(gameId, "RondelChargeRefunded")
      assert.strictEqual(refunds.length, 1)
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 20, Bank: -20 }, "refunded")
      const state = yield* TestApp.stateOf(lostOutcome, gameId)
      assert.deepStrictEqual([state?.nations[0].position, state?.nations[0].pending], ["Investor", null])
    }).pipe(Effect.provide(TestApp.layer([lostOutcome, accounting], { idPrefix: "r" })))
  )

  it.effect("the outcome comes first: the deadline is cancelled and never fires", () =>
    Effect.gen(function* () {
      const gameId = game("deadline-paid")
      yield* paidMoveOf(gameId, accounting)
      const entry = yield* positionOf(gameId)
      assert.deepStrictEqual([entry?.position, entry?.pending], ["Factory", null])
      assert.deepStrictEqual(yield* TestApp.timers, [])
      yield* TestClock.adjust("10 minutes")
      yield* TestApp.settle()
      const recorder = yield* TestApp.delivered
      assert.deepStrictEqual(yield* recorder.consumed({ type: "PaymentDeadline" }), [])
      assert.deepStrictEqual(yield* eventsOf(gameId, "MoveToActionSpaceRejected"), [])
    }).pipe(Effect.provide(TestApp.layer([rondel, accounting], { idPrefix: "p" })))
  )
})
