import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Application from "../../src/commit/Application.js"
import { freshDatabase } from "./support.js"

const layerApp = Layer.unwrapScoped(
  Effect.map(freshDatabase(), ({ url }) =>
    ImperialApp.layerPostgres({ url, relay: { pollInterval: "50 millis" } })
  )
)

describe("ImperialApp on the Postgres boundary", () => {
  it.live("a paid move travels Rondel -> Accounting -> Rondel through outbox, relay and inbox", () =>
    Effect.gen(function* () {
      const rondel = yield* RondelHost.RondelHost
      const accounting = yield* AccountingHost.AccountingHost
      const app = yield* Application.Application
      const gameId = "pg-smoke-1" as GameId.GameId
      yield* rondel.execute({ _tag: "SetToStartingPositions", gameId, nations: ["Germany", "France"] })
      yield* accounting.execute({
        _tag: "OpenAccounts",
        gameId,
        nations: ["Germany", "France"],
        startingBalance: 10
      })
      yield* rondel.execute({ _tag: "Move", gameId, nation: "Germany", space: "Investor" })
      yield* app.settle({ timeout: "20 seconds" })
      yield* rondel.execute({ _tag: "Move", gameId, nation: "Germany", space: "Factory" })
      yield* app.settle({ timeout: "20 seconds" })
      const positions = yield* rondel.positions(gameId)
      const germany = positions?.find((p) => p.nation === "Germany")
      assert.strictEqual(germany?.current, "Factory")
      assert.isNull(germany?.pending)
      const balances = yield* accounting.balances(gameId)
      assert.strictEqual(balances?.find((b) => b.account === "Germany")?.amount, 6)
    }).pipe(Effect.scoped, Effect.provide(layerApp))
  )
})
