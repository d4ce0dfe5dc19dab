import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import type * as BillingId from "../../hosts/contracts/BillingId.js"
import * as TestApp from "../../src/testing/TestApp.js"
import {
  accounting,
  balancesOf,
  deposit,
  eventsOf,
  game,
  historyOf,
  layer,
  move,
  positionOf,
  rondel,
  setUp,
  toAccounting,
  toRondel
} from "./imperialFixtures.js"
import * as Tally from "./tallyHost.js"

// ARCHITECTURE.md "Failure matrix", memory column: one test per row, asserting what is and is not visible afterwards.

const chargeStatus = (gameId: string, billingId: string) =>
  Effect.map(TestApp.stateOf(accounting, gameId), (state) =>
    state === undefined ? "Unknown" : Accounting.chargeStatus(state, billingId as BillingId.BillingId)
  )

/** Everything committed, published or dispatched because of one message. */
const causedBy = (messageId: string) =>
  Effect.flatMap(TestApp.delivered, (recorder) =>
    Effect.map(recorder.committed(), (commits) => ({
      commits: commits.filter((c) => c.consumed.messageId === messageId),
      sent: commits.flatMap((c) => [...c.events, ...c.commands]).filter((e) => e.causationId === messageId)
    }))
  )

describe("failure matrix: save fails", () => {
  it.effect(
    "nothing is published or dispatched; the asking caller gets the error and the feed reports it",
    () =>
      Effect.gen(function* () {
        const gameId = game("fm-save")
        yield* setUp(gameId, ["Germany", "France"], 10)
        yield* toRondel(move(gameId, "Germany", "Investor"))
        yield* TestApp.settle()
        const auditBefore = yield* TestApp.auditOf("rondel", gameId)

        yield* TestApp.failNext("save", 1, "rondel")
        const paidMove = yield* TestApp.envelopeOf(rondel, move(gameId, "Germany", "Factory"))
        const error = yield* Effect.flip(TestApp.ask(rondel, paidMove))
        yield* TestApp.settle()

        assert.strictEqual(error._tag, "PersistenceError")
        const recorder = yield* TestApp.delivered
        const failures = yield* recorder.handlingFailures
        assert.deepStrictEqual(
          failures.map((f) => [f.host, f.envelope.messageId, f.error]),
          [["rondel", paidMove.messageId, "PersistenceError: injected save failure"]]
        )
        assert.deepStrictEqual(yield* causedBy(paidMove.messageId), { commits: [], sent: [] })
        assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Investor", pending: null })
        assert.deepStrictEqual(yield* TestApp.auditOf("rondel", gameId), auditBefore)
        assert.strictEqual(yield* chargeStatus(gameId, `bill-${paidMove.messageId}`), "Unknown")
        assert.deepStrictEqual(yield* recorder.deliveryFailures, [])

        // Nothing was applied, so the caller may simply send the same message again.
        yield* TestApp.ask(rondel, paidMove)
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Factory", pending: null })
      }).pipe(Effect.provide(layer()))
  )

  it.effect(
    "a failed save in the consuming host sends nothing back: the move stays pending, the failure is reported",
    () =>
      Effect.gen(function* () {
        const gameId = game("fm-save-accounting")
        yield* setUp(gameId, ["Germany", "France"], 10)
        yield* toRondel(move(gameId, "Germany", "Investor"))
        yield* TestApp.settle()

        yield* TestApp.failNext("save", 1, "accounting")
        const paidMove = yield* toRondel(move(gameId, "Germany", "Factory"))
        yield* TestApp.settle()

        const recorder = yield* TestApp.delivered
        const [failure, ...others] = yield* recorder.handlingFailures
        assert.deepStrictEqual(others, [])
        assert.deepStrictEqual(
          [failure?.host, failure?.envelope.type, failure?.envelope.causationId],
          ["accounting", "ChargeMovement", paidMove.messageId]
        )
        assert.deepStrictEqual(yield* eventsOf(gameId, "RondelInvoicePaid"), [])
        assert.strictEqual((yield* positionOf(gameId, "Germany")).pending?.space, "Factory")
        assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 10, Bank: -20 })
      }).pipe(Effect.provide(layer()))
  )
})

describe("failure matrix: save ok, a subscriber fails", () => {
  it.effect(
    "the failed delivery is reported as DeliveryFailed and the other subscriber still gets the event",
    () =>
      Effect.gen(function* () {
        const gameId = game("fm-subscriber")
        yield* setUp(gameId, ["Germany", "France"], 10)
        yield* toRondel(move(gameId, "Germany", "Investor"))
        yield* TestApp.settle()
        const recorder = yield* TestApp.delivered
        yield* recorder.clear

        // RondelInvoicePaid has two subscribers: Rondel (fails) and Tally (must still get it).
        yield* TestApp.failNext("publish", 1, "rondel")
        yield* toRondel(move(gameId, "Germany", "Factory"))
        yield* TestApp.settle()

        const [paid, ...morePaid] = yield* recorder.published({ type: "RondelInvoicePaid" })
        assert.deepStrictEqual(morePaid, [])
        assert.deepStrictEqual(
          (yield* recorder.deliveryFailures).map((f) => [f.step, f.to, f.envelope.messageId, f.error]),
          [["publish", "rondel", paid!.messageId, "injected publish failure"]]
        )
        const tally = yield* TestApp.stateOf(Tally.definition, gameId)
        assert.deepStrictEqual(
          tally?.seen.filter(([, type]) => type === "RondelInvoicePaid"),
          [[paid!.messageId, "RondelInvoicePaid"]]
        )
        assert.deepStrictEqual(
          (yield* recorder.delivered("tally", { type: "RondelInvoicePaid" })).map((e) => e.messageId),
          [paid!.messageId]
        )
        assert.deepStrictEqual(yield* recorder.delivered("rondel", { type: "RondelInvoicePaid" }), [])
        // The publisher's save stands (the money moved); the failing subscriber is left where it was.
        assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 6, France: 10, Bank: -16 })
        assert.strictEqual((yield* positionOf(gameId, "Germany")).pending?.space, "Factory")
      }).pipe(Effect.provide(TestApp.layer([rondel, accounting, Tally.definition])))
  )

  it.effect("when the other subscriber fails instead, Rondel still completes the move", () =>
    Effect.gen(function* () {
      const gameId = game("fm-subscriber-other")
      yield* setUp(gameId, ["Germany", "France"], 10)
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* TestApp.settle()
      yield* TestApp.failNext("publish", 1, "tally")
      yield* toRondel(move(gameId, "Germany", "Factory"))
      yield* TestApp.settle()

      const recorder = yield* TestApp.delivered
      assert.deepStrictEqual(
        (yield* recorder.deliveryFailures).map((f) => [f.step, f.to, f.envelope.type]),
        [["publish", "tally", "RondelInvoicePaid"]]
      )
      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Factory", pending: null })
      const tally = yield* TestApp.stateOf(Tally.definition, gameId)
      assert.deepStrictEqual(
        tally?.seen.map(([, type]) => type),
        ["ActionDetermined", "ActionDetermined"]
      )
    }).pipe(Effect.provide(TestApp.layer([rondel, accounting, Tally.definition])))
  )
})

describe("failure matrix: save ok, dispatch fails", () => {
  it.effect(
    "the failure is in the commit report and the feed; the state already moved (the documented window)",
    () =>
      Effect.gen(function* () {
        const gameId = game("fm-dispatch")
        yield* setUp(gameId, ["Germany", "France"], 10)
        yield* toRondel(move(gameId, "Germany", "Investor"))
        yield* TestApp.settle()

        yield* TestApp.failNext("dispatch", 1)
        const paidMove = yield* TestApp.envelopeOf(rondel, move(gameId, "Germany", "Factory"))
        const report = yield* TestApp.ask(rondel, paidMove)
        yield* TestApp.settle()

        assert.deepStrictEqual(
          report.failures.map((f) => [f.step, f.to, f.envelope.type, f.envelope.causationId, f.error]),
          [["dispatch", "accounting", "ChargeMovement", paidMove.messageId, "injected dispatch failure"]]
        )
        const recorder = yield* TestApp.delivered
        assert.deepStrictEqual(
          (yield* recorder.deliveryFailures).map((f) => f.envelope.messageId),
          report.failures.map((f) => f.envelope.messageId)
        )
        // Saved and published (events go before commands), but Accounting never heard of the charge.
        const position = yield* positionOf(gameId, "Germany")
        assert.deepStrictEqual([position.current, position.pending?.space], ["Investor", "Factory"])
        assert.strictEqual((yield* eventsOf(gameId, "MovementAwaitingPayment")).length, 1)
        assert.strictEqual(yield* chargeStatus(gameId, `bill-${paidMove.messageId}`), "Unknown")
        assert.deepStrictEqual(yield* recorder.delivered("accounting", { type: "ChargeMovement" }), [])
        assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 10, Bank: -20 })
      }).pipe(Effect.provide(layer()))
  )
})

describe("failure matrix: target host crashes while processing", () => {
  it.effect("the supervisor restarts it and the message is redelivered: handled once, flow completes", () =>
    Effect.gen(function* () {
      const gameId = game("fm-crash-once")
      yield* setUp(gameId, ["Germany", "France"], 10)
      yield* toRondel(move(gameId, "Germany", "Investor"))
      yield* TestApp.settle()

      yield* TestApp.crashOn({ host: "accounting", type: "ChargeMovement" }, 1)
      yield* toRondel(move(gameId, "Germany", "Factory"))
      yield* TestApp.settle()

      const app = yield* TestApp.host(accounting)
      const stats = yield* app.actor.stats
      assert.deepStrictEqual([stats.defects, stats.restarts, stats.parked], [1, 1, 0])
      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Factory", pending: null })
      const { ledger } = yield* historyOf(gameId)
      assert.strictEqual(ledger.filter((e) => e.kind === "Charge").length, 1)
      assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 6, France: 10, Bank: -16 })
      // A crash is not a typed failure: nothing reached the failure feeds, and nothing was committed twice.
      const recorder = yield* TestApp.delivered
      assert.deepStrictEqual(yield* recorder.handlingFailures, [])
      assert.strictEqual((yield* recorder.consumed({ host: "accounting", type: "ChargeMovement" })).length, 1)
    }).pipe(Effect.provide(layer()))
  )

  it.effect(
    "a message that crashes the handler K times is parked, the mailbox keeps draining, and it can be redriven",
    () =>
      Effect.gen(function* () {
        const gameId = game("fm-crash-park")
        yield* setUp(gameId, ["Germany", "France"], 10)
        yield* toRondel(move(gameId, "Germany", "Investor"))
        yield* TestApp.settle()

        yield* TestApp.crashOn({ host: "accounting", type: "ChargeMovement" }, 3) // the default maxAttempts
        const paidMove = yield* toRondel(move(gameId, "Germany", "Factory"))
        yield* TestApp.settle()

        const [parked, ...moreParked] = yield* TestApp.parked("accounting")
        assert.deepStrictEqual(moreParked, [])
        assert.deepStrictEqual(
          [parked?.key, parked?.attempts, parked?.message.type, parked?.message.causationId],
          [gameId, 3, "ChargeMovement", paidMove.messageId]
        )
        assert.include(parked!.causeText, "injected crash of accounting")
        assert.strictEqual((yield* positionOf(gameId, "Germany")).pending?.space, "Factory")
        assert.strictEqual(yield* chargeStatus(gameId, `bill-${paidMove.messageId}`), "Unknown")

        // The same game's mailbox is not blocked by the parked message.
        yield* toAccounting(deposit(gameId, "France", 5))
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 15, Bank: -25 })

        const host = yield* TestApp.host(accounting)
        yield* host.actor.redrive(parked!.id)
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* TestApp.parked("accounting"), [])
        assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Factory", pending: null })
        assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 6, France: 15, Bank: -21 })
      }).pipe(Effect.provide(layer()))
  )
})

describe("failure matrix: process killed", () => {
  it.effect("in-memory state is lost: a fresh application starts empty", () =>
    Effect.gen(function* () {
      const gameId = game("fm-killed")
      yield* Effect.gen(function* () {
        yield* setUp(gameId, ["Germany", "France"], 10)
        yield* toRondel(move(gameId, "Germany", "Investor"))
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Investor", pending: null })
      }).pipe(Effect.provide(layer()))

      yield* Effect.gen(function* () {
        assert.isUndefined(yield* TestApp.stateOf(rondel, gameId))
        assert.isUndefined(yield* TestApp.stateOf(accounting, gameId))
        assert.deepStrictEqual(yield* (yield* TestApp.host(rondel)).keys, [])
        assert.deepStrictEqual(yield* TestApp.auditOf("rondel"), [])
        assert.deepStrictEqual(yield* TestApp.auditOf("accounting"), [])
      }).pipe(Effect.provide(layer()))
    })
  )
})
