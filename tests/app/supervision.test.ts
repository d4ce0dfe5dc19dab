import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Schedule } from "effect"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import * as TestApp from "../../src/testing/TestApp.js"
import {
  accounting,
  balancesOf,
  game,
  layer,
  move,
  open,
  positionOf,
  rondel,
  start,
  toAccounting,
  toRondel
} from "./imperialFixtures.js"

const moved = (gameId: string, space: string) =>
  Effect.map(positionOf(game(gameId), "Germany"), (p) => p.current === space && p.pending === null)

describe("Supervised hosts in the application", () => {
  it.effect(
    "a host whose handler dies restarts after its backoff and retries; other games keep flowing meanwhile",
    () =>
      Effect.gen(function* () {
        const slow = game("sup-slow")
        const fast = game("sup-fast")
        for (const gameId of [slow, fast]) {
          yield* toRondel(start(gameId, ["Germany", "France"]))
          yield* toAccounting(open(gameId, ["Germany", "France"], 10))
          yield* toRondel(move(gameId, "Germany", "Investor"))
        }
        yield* TestApp.settle()
        const accountingHost = yield* TestApp.host(accounting)

        yield* TestApp.crashOn({ host: "accounting", type: "ChargeMovement" }, 1)
        yield* toRondel(move(slow, "Germany", "Factory"))
        yield* TestApp.eventually(
          Effect.map(accountingHost.actor.stats, (s) => s.defects === 1 && s.restarting === 1),
          { label: "the slow game's charge crashed and waits for its restart" }
        )

        // While the slow game's key waits for its restart (the clock does not move), the other game goes through.
        yield* toRondel(move(fast, "Germany", "Factory"))
        yield* TestApp.eventually(moved(fast, "Factory"), { label: "the fast game's paid move completed" })
        assert.strictEqual(yield* Clock.currentTimeMillis, 0)
        assert.strictEqual((yield* positionOf(slow, "Germany")).pending?.space, "Factory")
        assert.deepStrictEqual(yield* balancesOf(slow), { Germany: 10, France: 10, Bank: -20 })

        // settle moves the TestClock to the restart; the crashed message is retried and the slow game completes.
        yield* TestApp.settle()
        assert.isAtLeast(yield* Clock.currentTimeMillis, 1_000)
        assert.deepStrictEqual(yield* positionOf(slow, "Germany"), { current: "Factory", pending: null })
        assert.deepStrictEqual(yield* balancesOf(slow), { Germany: 6, France: 10, Bank: -16 })
        const stats = yield* accountingHost.actor.stats
        assert.deepStrictEqual([stats.defects, stats.restarts, stats.restarting, stats.parked], [1, 1, 0, 0])
      }).pipe(Effect.provide(layer({ supervision: { backoff: Schedule.spaced("1 second") } })))
  )

  it.effect(
    "a key that spends its restart budget is stopped and escalated; later deliveries to it are reported",
    () =>
      Effect.gen(function* () {
        const broken = game("sup-broken")
        const healthy = game("sup-healthy")
        for (const gameId of [broken, healthy]) {
          yield* toRondel(start(gameId, ["Germany", "France"]))
          yield* toAccounting(open(gameId, ["Germany", "France"], 10))
          yield* toRondel(move(gameId, "Germany", "Investor"))
        }
        yield* TestApp.settle()

        yield* TestApp.crashOn({ host: "accounting", type: "ChargeMovement" }, 3)
        yield* toRondel(move(broken, "Germany", "Factory"))
        yield* TestApp.settle()

        const system = yield* ActorSystem.ActorSystem
        const escalations = yield* system.escalations
        assert.deepStrictEqual(
          escalations.map((e) => [e.actor, e.key, e.parked]),
          [["accounting", broken, 1]]
        )
        // The stopped key refuses new messages: the boundary reports the undeliverable command instead of losing it.
        yield* toRondel(move(broken, "Germany", "Import"))
        yield* TestApp.settle()
        const recorder = yield* TestApp.delivered
        assert.deepStrictEqual(
          (yield* recorder.deliveryFailures).map((f) => [f.step, f.to, f.envelope.type]),
          [["dispatch", "accounting", "VoidCharge"]]
        )
        // Other keys of the same host are not affected.
        yield* toRondel(move(healthy, "Germany", "Factory"))
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* positionOf(healthy, "Germany"), { current: "Factory", pending: null })

        // Redriving the parked charge lets the key run again; Accounting pays the charge Rondel already superseded...
        const [parked] = yield* TestApp.parked("accounting")
        yield* (yield* TestApp.host(accounting)).actor.redrive(parked!.id)
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* balancesOf(broken), { Germany: 6, France: 10, Bank: -16 })
        assert.deepStrictEqual(yield* positionOf(broken, "Germany"), { current: "Import", pending: null })
        // ... until the reported void is redelivered too: the compensation refunds it.
        const [lostVoid] = yield* recorder.deliveryFailures
        yield* TestApp.redeliver(lostVoid!.to, lostVoid!.envelope)
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* balancesOf(broken), { Germany: 10, France: 10, Bank: -20 })
      }).pipe(Effect.provide(layer({ supervision: { maxRestarts: 2, maxAttempts: 10 } })))
  )

  it.effect("the test layer needs no clock at all with its default (immediate) restarts", () =>
    Effect.gen(function* () {
      const gameId = game("sup-immediate")
      yield* toRondel(start(gameId, ["Germany"]))
      yield* toAccounting(open(gameId, ["Germany"], 10))
      yield* TestApp.crashOn({ host: "rondel", type: "Move" }, 2)
      yield* toRondel(move(gameId, "Germany", "Taxation"))
      yield* (yield* ActorSystem.ActorSystem).awaitQuiescent
      assert.strictEqual(yield* Clock.currentTimeMillis, 0)
      assert.deepStrictEqual(yield* positionOf(gameId, "Germany"), { current: "Taxation", pending: null })
      assert.strictEqual((yield* (yield* TestApp.host(rondel)).actor.stats).restarts, 2)
    }).pipe(Effect.provide(layer()))
  )
})
