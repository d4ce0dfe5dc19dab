import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric, TestClock } from "effect"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import type * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as Reconcile from "../../hosts/sandbox/Reconcile.js"
import * as Application from "../../src/commit/Application.js"
import * as Decision from "../../src/commit/Decision.js"
import type { AnyHostDefinition } from "../../src/commit/HostDefinition.js"
import * as Timers from "../../src/commit/Timers.js"
import * as MemoryJournal from "../../src/operate/MemoryJournal.js"
import * as TestApp from "../../src/testing/TestApp.js"
import { accounting, game, move, open, start } from "./imperialFixtures.js"

// Operations count scheduled messages (issue #17, item 6): per host, those not due yet and those overdue (due, not
// delivered), as figures (`Timers.counts`), as gauges (mailroom_timers_scheduled / mailroom_timers_overdue) kept
// by the memory timers on the clock, in the operator's status (`MemoryJournal`), and in `reconcile`.

const rondel = RondelHost.makeDefinition({ paymentDeadline: "2 minutes" })
const silentAccounting: AnyHostDefinition = {
  ...accounting,
  decide: (state, message, context) =>
    (message as Contracts.Message)._tag === "ChargeMovement"
      ? Decision.none
      : accounting.decide(state, message, context)
}

const gauge = (metric: typeof Timers.timersScheduled, host: string) =>
  Effect.map(Metric.value(Metric.tagged(metric, "host", host)), (state) => state.value)

const timer = (messageId: string, host: string, dueAt: number): Timers.PendingTimer => ({
  messageId,
  host,
  destination: host,
  type: "PaymentDeadline",
  key: "g",
  dueAt,
  causationId: "m",
  correlationId: "m"
})

describe("Scheduled and overdue messages", () => {
  it("Timers.counts: per host, not due yet and due at or before now; listed hosts first, with zeros", () => {
    const pending = [
      timer("a", "rondel", 1_000),
      timer("b", "rondel", 2_000),
      timer("c", "rondel", 3_000),
      timer("d", "shop", 500)
    ]
    assert.deepStrictEqual(Timers.counts(pending, 2_000, ["accounting", "rondel"]), [
      { host: "accounting", scheduled: 0, overdue: 0 },
      { host: "rondel", scheduled: 1, overdue: 2 },
      { host: "shop", scheduled: 0, overdue: 1 }
    ])
    assert.deepStrictEqual(Timers.counts([], 0), [])
  })

  it.effect(
    "in memory, on the clock: the gauges count a deadline while it waits and drop once it fired",
    () =>
      Effect.gen(function* () {
        const gameId = game("timer-counts")
        const toRondel = (command: RondelClient.RondelCommand) =>
          Effect.flatMap(TestApp.host(rondel), (host) => host.send(command))
        yield* toRondel(start(gameId, ["Germany"]))
        yield* Effect.flatMap(TestApp.host(silentAccounting), (host) =>
          host.send(open(gameId, ["Germany"], 20))
        )
        yield* TestApp.settle()
        yield* toRondel(move(gameId, "Germany", "Investor"))
        yield* TestApp.settle()
        const paid = yield* toRondel(move(gameId, "Germany", "Factory"))
        yield* TestApp.settle()

        const journal = yield* MemoryJournal.make([rondel, silentAccounting])
        const timerStatus = Effect.map(journal.status({ overdueAfterMillis: 30_000 }), (hosts) =>
          hosts.map((h) => [h.host, h.timersScheduled, h.timersOverdue])
        )
        assert.deepStrictEqual(yield* timerStatus, [
          ["rondel", 1, 0],
          ["accounting", 0, 0]
        ])
        const now = yield* TestClock.currentTimeMillis
        assert.deepStrictEqual(Timers.counts(yield* TestApp.timers, now, ["rondel"]), [
          { host: "rondel", scheduled: 1, overdue: 0 }
        ])
        assert.strictEqual(yield* gauge(Timers.timersScheduled, "rondel"), 1)
        assert.strictEqual(yield* gauge(Timers.timersOverdue, "rondel"), 0)
        // Judged 3 minutes later (the deadline is 2 minutes away): overdue, as an operator would see it.
        assert.deepStrictEqual(Timers.counts(yield* TestApp.timers, now + 180_000, ["rondel"]), [
          { host: "rondel", scheduled: 0, overdue: 1 }
        ])
        const report = yield* Effect.provideService(
          Reconcile.reconcile("0 millis"),
          Application.Application,
          yield* Application.Application
        )
        assert.deepStrictEqual(report.overdueTimers, [], "not due yet: not listed by reconcile")

        yield* TestClock.adjust("2 minutes")
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* TestApp.timers, [])
        assert.deepStrictEqual(yield* timerStatus, [
          ["rondel", 0, 0],
          ["accounting", 0, 0]
        ])
        assert.strictEqual(yield* gauge(Timers.timersScheduled, "rondel"), 0)
        assert.strictEqual(yield* gauge(Timers.timersOverdue, "rondel"), 0)
        assert.isDefined(paid.messageId)
      }).pipe(Effect.provide(TestApp.layer([rondel, silentAccounting], { idPrefix: "tc" })))
  )
})
