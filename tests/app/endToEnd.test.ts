import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import type * as BillingId from "../../hosts/contracts/BillingId.js"
import * as TestApp from "../../src/testing/TestApp.js"
import {
  accounting,
  balancesOf,
  commandsOf,
  deposit,
  eventsOf,
  game,
  historyOf,
  layer,
  move,
  positionOf,
  rondel,
  setUp,
  snapshot,
  toAccounting,
  toRondel
} from "./imperialFixtures.js"

describe("Imperial end to end on the memory layer", () => {
  it.effect("a free move completes at once and determines the action, without any charge", () =>
    Effect.gen(function* () {
      const gameId = game("e2e-free")
      yield* setUp(gameId, ["Germany", "France"], 10)
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* TestApp.settle()
      yield* toRondel(move(gameId, "Germany", "ManeuverOne"))
      yield* TestApp.settle()

      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "ManeuverOne", pending: null })
      const determined = yield* eventsOf(gameId, "ActionDetermined")
      assert.deepStrictEqual(
        determined.map((e) => [e.nation, e.space, e.action]),
        [
          ["Germany", "Investor", "Investor"],
          ["Germany", "ManeuverOne", "Maneuver"]
        ]
      )
      assert.deepStrictEqual(yield* commandsOf(gameId, "ChargeMovement"), [])
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 10, Bank: -20 })
    }).pipe(Effect.provide(layer()))
  )

  it.effect(
    "a paid move waits for its charge, Accounting pays, then the nation moves and its action is determined",
    () =>
      Effect.gen(function* () {
        const gameId = game("e2e-paid")
        yield* setUp(gameId, ["Germany", "France"], 10)
        yield* toRondel(move(gameId, "Germany", "Investor"))
        yield* TestApp.settle()
        const moveEnvelope = yield* toRondel(move(gameId, "Germany", "Factory"))
        yield* TestApp.settle()

        assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Factory", pending: null })
        assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 6, France: 10, Bank: -16 })

        // The whole flow, in commit order, carries the Move's correlation id and a causation chain.
        const recorder = yield* TestApp.delivered
        const flow = (yield* recorder.committed()).filter(
          (c) => c.consumed.correlationId === moveEnvelope.messageId
        )
        assert.deepStrictEqual(
          flow.map((c) => [c.host, c.consumed.type, [...c.events, ...c.commands].map((e) => e.type)]),
          [
            ["rondel", "Move", ["MovementAwaitingPayment", "ChargeMovement"]],
            ["accounting", "ChargeMovement", ["RondelInvoicePaid"]],
            ["rondel", "RondelInvoicePaid", ["ActionDetermined"]]
          ]
        )
        assert.strictEqual(flow[1]!.consumed.causationId, flow[0]!.consumed.messageId)
        assert.strictEqual(flow[2]!.consumed.causationId, flow[1]!.consumed.messageId)
        const [awaiting] = yield* eventsOf(gameId, "MovementAwaitingPayment")
        assert.deepStrictEqual(
          [awaiting?.from, awaiting?.space, awaiting?.amount, awaiting?.billingId],
          ["Investor", "Factory", 4, `bill-${moveEnvelope.messageId}`]
        )
        const state = yield* TestApp.stateOf(accounting, gameId)
        assert.strictEqual(
          Accounting.chargeStatus(state!, awaiting!.billingId as BillingId.BillingId),
          "Paid"
        )
        assert.deepStrictEqual(yield* recorder.deliveryFailures, [])
        assert.deepStrictEqual(yield* recorder.handlingFailures, [])
      }).pipe(Effect.provide(layer()))
  )

  it.effect("a paid move the nation cannot afford is rejected and the nation keeps its position", () =>
    Effect.gen(function* () {
      const gameId = game("e2e-broke")
      yield* setUp(gameId, ["Germany", "France"], 3)
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* TestApp.settle()
      yield* toRondel(move(gameId, "Germany", "ProductionTwo"))
      yield* TestApp.settle()

      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Investor", pending: null })
      const rejected = yield* eventsOf(gameId, "MoveToActionSpaceRejected")
      assert.deepStrictEqual(
        rejected.map((e) => [e.nation, e.space, e.reason]),
        [["Germany", "ProductionTwo", "PaymentFailed"]]
      )
      const failed = yield* eventsOf(gameId, "RondelInvoicePaymentFailed")
      assert.deepStrictEqual(
        failed.map((e) => [e.amount, e.reason]),
        [[6, "InsufficientFunds"]]
      )
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 3, France: 3, Bank: -6 })
      assert.strictEqual((yield* eventsOf(gameId, "ActionDetermined")).length, 1)
    }).pipe(Effect.provide(layer()))
  )
})

describe("Superseding a pending move", () => {
  it.effect("a free move while a payment is pending voids the charge Accounting already paid: refunded", () =>
    Effect.gen(function* () {
      const gameId = game("e2e-supersede-free")
      yield* setUp(gameId, ["Germany", "France"], 10)
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* TestApp.settle()
      // Both moves are queued before Rondel handles the first, so the second always finds the first pending,
      // while Accounting always pays the first charge before the void reaches it (one mailbox per game).
      const paid = yield* toRondel(move(gameId, "Germany", "ProductionTwo"))
      yield* toRondel(move(gameId, "Germany", "Import"))
      yield* TestApp.settle()

      const oldBill = `bill-${paid.messageId}` as BillingId.BillingId
      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Import", pending: null })
      assert.deepStrictEqual(
        (yield* eventsOf(gameId, "MoveToActionSpaceRejected")).map((e) => [e.space, e.reason]),
        [["ProductionTwo", "Superseded"]]
      )
      assert.deepStrictEqual(
        (yield* commandsOf(gameId, "VoidCharge")).map((c) => c.billingId),
        [oldBill]
      )
      const state = (yield* TestApp.stateOf(accounting, gameId))!
      assert.strictEqual(Accounting.chargeStatus(state, oldBill), "Refunded")
      assert.deepStrictEqual(
        (yield* historyOf(gameId)).ledger
          .filter((e) => e.kind !== "Opening")
          .map((e) => [e.kind, e.from, e.to, e.amount, e.billingId]),
        [
          ["Charge", "Germany", "Bank", 6, oldBill],
          ["Refund", "Bank", "Germany", 6, oldBill]
        ]
      )
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 10, Bank: -20 })
      // Accounting's late confirmation of the old charge reached Rondel and changed nothing.
      const recorder = yield* TestApp.delivered
      const late = (yield* recorder.committed("rondel")).filter(
        (c) => c.consumed.type === "RondelInvoicePaid"
      )
      assert.deepStrictEqual(
        late.map((c) => [c.stateChanged, c.events.length]),
        [[false, 0]]
      )
      assert.deepStrictEqual(
        (yield* eventsOf(gameId, "ActionDetermined")).map((e) => e.space),
        ["Investor", "Import"]
      )
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a paid move superseding a paid move: the first is refunded, only the second is paid", () =>
    Effect.gen(function* () {
      const gameId = game("e2e-supersede-paid")
      yield* setUp(gameId, ["Germany", "France"], 10)
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* TestApp.settle()
      const first = yield* toRondel(move(gameId, "Germany", "ProductionTwo"))
      const second = yield* toRondel(move(gameId, "Germany", "Taxation"))
      yield* TestApp.settle()

      const firstBill = `bill-${first.messageId}` as BillingId.BillingId
      const secondBill = `bill-${second.messageId}` as BillingId.BillingId
      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Taxation", pending: null })
      assert.deepStrictEqual(
        (yield* historyOf(gameId)).charges.map((c) => [c.billingId, c.amount, c.status]),
        [
          [firstBill, 6, "Refunded"],
          [secondBill, 2, "Paid"]
        ]
      )
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 8, France: 10, Bank: -18 })
      assert.deepStrictEqual(
        (yield* eventsOf(gameId, "RondelChargeRefunded")).map((e) => [e.billingId, e.amount]),
        [[firstBill, 6]]
      )
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a void that arrives before its charge is remembered: the late charge is not applied", () =>
    Effect.gen(function* () {
      const gameId = game("e2e-void-first")
      yield* setUp(gameId, ["Germany", "France"], 10)
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* TestApp.settle()
      // The charge of the paid move is lost on its way (memory dispatch window); the supersede's void gets through.
      yield* TestApp.failNext("dispatch", 1, "accounting")
      const paid = yield* toRondel(move(gameId, "Germany", "ProductionTwo"))
      yield* TestApp.settle()
      yield* toRondel(move(gameId, "Germany", "Import"))
      yield* TestApp.settle()
      const bill = `bill-${paid.messageId}` as BillingId.BillingId
      assert.strictEqual(
        Accounting.chargeStatus((yield* TestApp.stateOf(accounting, gameId))!, bill),
        "VoidedBeforeCharge"
      )

      // The operator redelivers the charge from the failure report: too late, it is refused as voided.
      const recorder = yield* TestApp.delivered
      const [lost] = yield* recorder.deliveryFailures
      assert.strictEqual(lost?.envelope.type, "ChargeMovement")
      yield* TestApp.redeliver(lost!.to, lost!.envelope)
      yield* TestApp.settle()

      assert.strictEqual(
        Accounting.chargeStatus((yield* TestApp.stateOf(accounting, gameId))!, bill),
        "Voided"
      )
      assert.deepStrictEqual(
        (yield* eventsOf(gameId, "RondelInvoicePaymentFailed")).map((e) => [e.billingId, e.reason]),
        [[bill, "Voided"]]
      )
      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Import", pending: null })
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 10, Bank: -20 })
    }).pipe(Effect.provide(layer()))
  )
})

describe("Duplicate delivery", () => {
  it.effect("redelivering every message of a game, of every type, changes nothing and sends nothing", () =>
    Effect.gen(function* () {
      const gameId = game("e2e-duplicates")
      yield* setUp(gameId, ["Germany", "France"], 4)
      yield* toAccounting(deposit(gameId, "France", 3))
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* toRondel(move(gameId, "France", "Investor"))
      yield* TestApp.settle()
      yield* toRondel(move(gameId, "Germany", "Taxation")) // 4 steps, 2M: paid
      yield* TestApp.settle()
      yield* toRondel(move(gameId, "Germany", "ProductionOne")) // 6 steps, 6M: Germany has 2M left, fails
      yield* TestApp.settle()
      yield* toRondel(move(gameId, "France", "ProductionTwo")) // 6 steps, 6M: pending...
      yield* toRondel(move(gameId, "France", "Import")) // ... superseded: void, refund
      yield* TestApp.settle()
      yield* TestApp.failNext("publish", 1, "rondel") // Germany's next payment is never confirmed...
      yield* toRondel(move(gameId, "Germany", "Investor")) // 4 steps, 2M: paid
      yield* TestApp.settle()
      yield* TestClock.adjust("60 seconds") // ... so its deadline falls due: void, refund
      yield* TestApp.settle()

      const recorder = yield* TestApp.delivered
      const handled = yield* recorder.committed()
      const ofGame = handled.filter((c) => c.key === gameId)
      const types = new Set(ofGame.map((c) => c.consumed.type))
      assert.deepStrictEqual(
        [...types].sort(),
        [...rondel.consumes, ...accounting.consumes].sort(),
        "the scenario must exercise every message type both hosts consume"
      )
      const before = yield* snapshot(gameId)
      yield* recorder.clear

      for (const commit of ofGame) yield* TestApp.redeliver(commit.host, commit.consumed)
      yield* TestApp.settle()

      assert.deepStrictEqual(yield* snapshot(gameId), before)
      const again = yield* recorder.committed()
      assert.strictEqual(again.length, ofGame.length)
      for (const commit of again) {
        assert.isFalse(commit.stateChanged, `${commit.consumed.type} changed state again`)
        assert.deepStrictEqual(
          [...commit.events, ...commit.commands],
          [],
          `${commit.consumed.type} sent again`
        )
      }
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 2, France: 7, Bank: -9 })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("the same command sent twice with the same message id is applied once, even back to back", () =>
    Effect.gen(function* () {
      const gameId = game("e2e-send-twice")
      yield* setUp(gameId, ["Germany", "France"], 10)
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* TestApp.settle()
      const rondelHost = yield* TestApp.host(rondel)
      const accountingHost = yield* TestApp.host(accounting)
      const wireMove = { type: "Move", version: 1, payload: move(gameId, "Germany", "Factory") }
      const wireDeposit = { type: "Deposit", version: 1, payload: deposit(gameId, "France", 5) }
      const first = yield* rondelHost.sendWire(wireMove)
      yield* rondelHost.sendWire(wireMove, { messageId: first.messageId })
      const firstDeposit = yield* accountingHost.sendWire(wireDeposit)
      yield* accountingHost.sendWire(wireDeposit, { messageId: firstDeposit.messageId })
      yield* TestApp.settle()

      assert.strictEqual((yield* commandsOf(gameId, "ChargeMovement")).length, 1)
      assert.strictEqual((yield* eventsOf(gameId, "FundsDeposited")).length, 1)
      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Factory", pending: null })
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 6, France: 15, Bank: -21 })
      assert.strictEqual(
        (yield* TestApp.auditOf("rondel", gameId)).filter((e) => e.message.messageId === first.messageId)
          .length,
        2
      )
    }).pipe(Effect.provide(layer()))
  )
})
