import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Reconcile from "../../hosts/sandbox/Reconcile.js"
import * as Application from "../../src/commit/Application.js"
import * as Faults from "../../src/commit/Faults.js"

describe("reconcile", () => {
  it.scoped("lists a pending movement whose charge was parked, once it is older than the threshold", () =>
    Effect.gen(function* () {
      const rondel = yield* RondelClient.RondelClient
      const accounting = yield* AccountingClient.AccountingClient
      const app = yield* Application.Application
      const faults = yield* Faults.Faults
      const gameId = "reconcile-1" as GameId.GameId
      const settle = Effect.gen(function* () {
        const fiber = yield* Effect.fork(app.settle({ timeout: "10 minutes" }))
        // Supervisor backoffs sleep on the TestClock: move time on until everything is quiet.
        for (let i = 0; i < 20; i++) yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(fiber)
      })
      yield* rondel.send({ _tag: "SetToStartingPositions", gameId, nations: ["Russia"] })
      yield* accounting.send({ _tag: "OpenAccounts", gameId, nations: ["Russia"], startingBalance: 10 })
      yield* rondel.send({ _tag: "Move", gameId, nation: "Russia", space: "Investor" })
      yield* settle
      // Accounting dies on every ChargeMovement: the supervisor parks it after its attempts.
      yield* faults.armCrash({ host: "accounting", type: "ChargeMovement" }, 100)
      yield* rondel.send({ _tag: "Move", gameId, nation: "Russia", space: "Taxation" })
      yield* settle

      const fresh = yield* Reconcile.reconcile("1 hour")
      assert.deepStrictEqual(fresh.pendingMovements, [])
      assert.deepStrictEqual(fresh.parked, [])

      yield* TestClock.adjust("2 hours")
      const report = yield* Reconcile.reconcile("1 hour")
      assert.strictEqual(report.pendingMovements.length, 1)
      assert.strictEqual(report.pendingMovements[0]?.nation, "Russia")
      assert.strictEqual(report.pendingMovements[0]?.target, "Taxation")
      assert.strictEqual(report.pendingMovements[0]?.amount, 2)
      assert.strictEqual(report.parked.length, 1)
      assert.strictEqual(report.parked[0]?.host, "accounting")
      assert.strictEqual(report.parked[0]?.type, "ChargeMovement")
      assert.strictEqual(report.parked[0]?.where, "mailbox")
      // A deployment with a payment deadline shorter than the threshold would have rejected it by now.
    }).pipe(Effect.provide(ImperialApp.layerMemoryWith(undefined, { paymentDeadline: "1 day" })))
  )
})
