import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  balance,
  events,
  type Line,
  names,
  paidTrip,
  position,
  results,
  run,
  step,
  timeless
} from "./support.js"

const fullGame = [
  "new-game Germany France --balance 10",
  "move Germany Investor",
  "move France Taxation",
  "move Germany ProductionOne",
  "move Germany ManeuverTwo",
  "move France Investor",
  "move France Investor",
  "move Germany Import",
  "positions",
  "balances",
  "ledger",
  "charges"
]

describe("sandbox JSON mode: a game", () => {
  it.live(
    "plays free and paid moves; a paid move travels Rondel -> Accounting -> Rondel in causal order",
    () =>
      Effect.gen(function* () {
        const out = yield* run(fullGame)
        assert.deepStrictEqual(
          results(out).map((r) => [r.command, r.ok]),
          [
            ["new-game", true],
            ["move", true],
            ["move", true],
            ["move", true],
            ["move", true],
            ["move", true],
            ["move", true],
            ["move", true],
            ["positions", true],
            ["balances", true],
            ["ledger", true],
            ["charges", true]
          ]
        )
        const created = step(out, "new-game")
        assert.deepInclude(created.result, {
          gameId: "game-1",
          nations: ["Germany", "France"],
          startingBalance: 10
        })
        assert.deepStrictEqual(created.result.messages, [
          { host: "rondel", type: "SetToStartingPositions", messageId: "m-1" },
          { host: "accounting", type: "OpenAccounts", messageId: "m-2" }
        ])
        assert.deepStrictEqual(names(created.events), [
          "rondel<-SetToStartingPositions",
          "PositionedAtStart",
          "accounting<-OpenAccounts",
          "AccountsOpened"
        ])

        // The acknowledgment carries the message id; the outcome follows as event lines.
        const first = step(out, "move", 0)
        assert.deepStrictEqual(first.result, {
          ok: true,
          command: "move",
          gameId: "game-1",
          nation: "Germany",
          space: "Investor",
          messageId: "m-3"
        })
        assert.deepStrictEqual(first.events[1], {
          event: "ActionDetermined",
          gameId: "game-1",
          nation: "Germany",
          space: "Investor",
          action: "Investor",
          kind: "event",
          host: "rondel",
          to: [],
          messageId: "m-3.0",
          causationId: "m-3",
          causedBy: "Move"
        })

        const paid = step(out, "move", 3)
        assert.deepStrictEqual(names(paid.events), paidTrip)
        assert.deepInclude(paid.events[1], {
          from: "ProductionOne",
          space: "ManeuverTwo",
          billingId: "bill-m-6",
          amount: 4
        })
        assert.deepInclude(paid.events[2], {
          kind: "command",
          host: "rondel",
          to: ["accounting"],
          causationId: "m-6"
        })
        assert.deepInclude(paid.events[4], {
          host: "accounting",
          billingId: "bill-m-6",
          causedBy: "ChargeMovement"
        })
        assert.deepInclude(paid.events[6], {
          event: "ScheduledCancelled",
          host: "rondel",
          messageIds: ["m-6.t0"]
        })
        assert.deepInclude(paid.events[7], { nation: "Germany", space: "ManeuverTwo", action: "Maneuver" })
        assert.deepInclude(paid.events[8], { kind: "scheduled", messageId: "m-6.t0", billingId: "bill-m-6" })
        assert.deepStrictEqual(names(step(out, "move", 4).events), paidTrip)

        const still = step(out, "move", 5)
        assert.deepInclude(events(still.events, "MoveToActionSpaceRejected")[0], { reason: "StandingStill" })

        assert.deepStrictEqual(position(out, "Germany"), {
          nation: "Germany",
          current: "Import",
          pending: null
        })
        assert.deepStrictEqual(position(out, "France"), {
          nation: "France",
          current: "Investor",
          pending: null
        })
        assert.deepStrictEqual(step(out, "balances").result.balances, [
          { account: "Germany", amount: 6 },
          { account: "France", amount: 8 },
          { account: "Bank", amount: -14 }
        ])
        assert.deepStrictEqual(
          step(out, "ledger").result.entries.map((e: Line) => [e.kind, e.from, e.to, e.amount, e.billingId]),
          [
            ["Opening", "Bank", "Germany", 10, undefined],
            ["Opening", "Bank", "France", 10, undefined],
            ["Charge", "Germany", "Bank", 4, "bill-m-6"],
            ["Charge", "France", "Bank", 2, "bill-m-7"]
          ]
        )
        assert.deepStrictEqual(step(out, "charges").result.charges, [
          { billingId: "bill-m-6", nation: "Germany", amount: 4, status: "Paid" },
          { billingId: "bill-m-7", nation: "France", amount: 2, status: "Paid" }
        ])
      })
  )

  it.live("is reproducible: the same script gives the same lines (time measurements aside)", () =>
    Effect.gen(function* () {
      const script = [...fullGame, "fault crash-rondel 1", "move France Taxation", "settle", "stats", "quit"]
      const a = yield* run(script)
      const b = yield* run(script)
      assert.deepStrictEqual(timeless(a), timeless(b))
    })
  )

  it.live("a failed payment rejects the move and keeps the position and the money", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game Germany --balance 1",
        "move Germany Investor",
        "move Germany Factory",
        "positions",
        "balances",
        "charges"
      ])
      const failed = step(out, "move", 1)
      assert.deepStrictEqual(names(failed.events), [
        "rondel<-Move",
        "MovementAwaitingPayment",
        "ChargeMovement",
        "accounting<-ChargeMovement",
        "RondelInvoicePaymentFailed",
        "rondel<-RondelInvoicePaymentFailed",
        "ScheduledCancelled",
        "MoveToActionSpaceRejected",
        "PaymentDeadline"
      ])
      assert.deepInclude(failed.events[4], { reason: "InsufficientFunds", billingId: "bill-m-4" })
      assert.deepInclude(failed.events[7], { space: "Factory", reason: "PaymentFailed" })
      assert.deepStrictEqual(position(out, "Germany"), {
        nation: "Germany",
        current: "Investor",
        pending: null
      })
      assert.strictEqual(balance(out, "Germany"), 1)
      assert.deepStrictEqual(step(out, "charges").result.charges, [
        { billingId: "bill-m-4", nation: "Germany", amount: 4, status: "Failed", reason: "InsufficientFunds" }
      ])
    })
  )

  it.live("a move supersedes a pending one: its charge is voided, and the late charge is not applied", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game Germany --balance 10",
        "move Germany Investor",
        // Accounting's handler dies three times on the charge: it is parked and the move stays pending.
        "fault crash-accounting 3",
        "move Germany Factory",
        "positions",
        "parked",
        "move Germany Taxation",
        "charges",
        "redrive accounting/1",
        "positions",
        "balances",
        "charges",
        "parked"
      ])
      const parkedMove = step(out, "move", 1)
      assert.deepStrictEqual(names(events(parkedMove.events, "MessageParked")), ["MessageParked"])
      assert.deepInclude(events(parkedMove.events, "MessageParked")[0], {
        id: "accounting/1",
        type: "ChargeMovement",
        messageId: "m-4.1",
        attempts: 3
      })
      assert.isAtLeast(events(parkedMove.events, "HostRestarted").length, 1)
      assert.deepStrictEqual(position(out, "Germany"), {
        nation: "Germany",
        current: "Investor",
        pending: { space: "Factory", billingId: "bill-m-4", amount: 4 }
      })
      assert.deepInclude(step(out, "parked").result.parked[0], {
        id: "accounting/1",
        host: "accounting",
        source: "actor",
        type: "ChargeMovement",
        messageId: "m-4.1"
      })

      const superseding = step(out, "move", 2)
      assert.deepStrictEqual(names(superseding.events), [
        "rondel<-Move",
        "ScheduledCancelled",
        "MoveToActionSpaceRejected",
        "MovementAwaitingPayment",
        "VoidCharge",
        "accounting<-VoidCharge",
        "ChargeMovement",
        "accounting<-ChargeMovement",
        "RondelInvoicePaid",
        "rondel<-RondelInvoicePaid",
        "ScheduledCancelled",
        "ActionDetermined",
        "PaymentDeadline"
      ])
      // The superseded move's deadline is cancelled with it.
      assert.deepInclude(superseding.events[1], { messageIds: ["m-4.t0"] })
      assert.deepInclude(superseding.events[2], { space: "Factory", reason: "Superseded" })
      assert.deepInclude(superseding.events[4], { billingId: "bill-m-4" })
      assert.deepStrictEqual(step(out, "charges", 0).result.voidedBeforeCharge, ["bill-m-4"])

      // The parked charge, redriven after its void, is refused as Voided; Rondel ignores the stale outcome.
      const redrive = step(out, "redrive")
      assert.deepInclude(redrive.result, { ok: true, id: "accounting/1", host: "accounting" })
      assert.deepStrictEqual(names(redrive.events), [
        "accounting<-ChargeMovement",
        "RondelInvoicePaymentFailed",
        "rondel<-RondelInvoicePaymentFailed"
      ])
      assert.deepInclude(redrive.events[1], { reason: "Voided", billingId: "bill-m-4" })
      assert.deepInclude(redrive.events[2], { stateChanged: false })
      assert.deepStrictEqual(position(out, "Germany", 1), {
        nation: "Germany",
        current: "Taxation",
        pending: null
      })
      assert.strictEqual(balance(out, "Germany"), 8)
      assert.deepStrictEqual(
        step(out, "charges", 1).result.charges.map((c: Line) => [c.billingId, c.status]),
        [
          ["bill-m-5", "Paid"],
          ["bill-m-4", "Voided"]
        ]
      )
      assert.deepStrictEqual(step(out, "parked", 1).result.parked, [])
    })
  )

  it.live("a lost payment confirmation leaves the move pending; superseding it refunds the money", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game Germany --balance 10",
        "move Germany Investor",
        "fault publish",
        "move Germany Factory",
        "positions",
        "balances",
        "move Germany Taxation",
        "balances",
        "charges"
      ])
      const lost = step(out, "move", 1)
      assert.deepInclude(events(lost.events, "DeliveryFailed")[0], {
        step: "publish",
        to: "rondel",
        type: "RondelInvoicePaid"
      })
      assert.deepStrictEqual(position(out, "Germany").pending, {
        space: "Factory",
        billingId: "bill-m-4",
        amount: 4
      })
      assert.strictEqual(balance(out, "Germany", 0), 6)
      const refund = step(out, "move", 2)
      assert.deepInclude(events(refund.events, "RondelChargeRefunded")[0], {
        billingId: "bill-m-4",
        amount: 4
      })
      assert.strictEqual(balance(out, "Germany", 1), 8)
      assert.deepStrictEqual(
        step(out, "charges").result.charges.map((c: Line) => [c.billingId, c.status]),
        [
          ["bill-m-4", "Refunded"],
          ["bill-m-5", "Paid"]
        ]
      )
    })
  )
})
