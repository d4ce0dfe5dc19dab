import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schedule } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Application from "../../src/commit/Application.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Relay from "../../src/commit/Relay.js"
import { parkingRelay, paymentDeadline, settle } from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// On Postgres the relay owns redelivery: a message the host's supervisor gives up on is not kept as a stale
// dead letter in the actor, and a key stopped by its restart budget runs again when the relay redelivers.
describe("supervision under the durable relay", () => {
  it.live("a charge that crashes its handler 15 times is handled once at last; nothing stays parked", () =>
    Effect.gen(function* () {
      const rondel = yield* RondelClient.RondelClient
      const accounting = yield* AccountingClient.AccountingClient
      const app = yield* Application.Application
      const faults = yield* Faults.Faults
      const relay = yield* Relay.Relay
      const gameId = "crashy-1" as GameId.GameId
      yield* rondel.send({ _tag: "SetToStartingPositions", gameId, nations: ["Italy"] })
      yield* accounting.send({ _tag: "OpenAccounts", gameId, nations: ["Italy"], startingBalance: 10 })
      yield* rondel.send({ _tag: "Move", gameId, nation: "Italy", space: "Investor" })
      yield* settle
      // More crashes than the supervisor's restart budget (10 within 10 s): the key is stopped on the way.
      yield* faults.armCrash({ host: "accounting", type: "ChargeMovement" }, 15)
      yield* rondel.send({ _tag: "Move", gameId, nation: "Italy", space: "Factory" })
      yield* settle

      const positions = yield* rondel.positions(gameId)
      assert.strictEqual(positions?.[0]?.current, "Factory")
      const balances = yield* accounting.balances(gameId)
      assert.strictEqual(balances?.find((b) => b.account === "Italy")?.amount, 6)
      assert.deepStrictEqual(yield* app.host(AccountingHost.definition).actor.parked, [])
      assert.deepStrictEqual(yield* relay.parked, [])
      assert.deepStrictEqual(yield* faults.armed, [])
      const stats = yield* app.host(AccountingHost.definition).actor.stats
      assert.isAtLeast(stats.defects, 15)
    }).pipe(
      Effect.scoped,
      Effect.provide(
        Layer.unwrapScoped(
          Effect.map(freshDatabase(), ({ url }) =>
            ImperialApp.layerPostgres({
              url,
              paymentDeadline,
              relay: parkingRelay(20),
              // Quick restarts, same budget rule: at most 10 restarts within 10 seconds per key.
              system: { defaults: { backoff: Schedule.spaced("1 millis") } }
            })
          )
        )
      )
    )
  )
})
