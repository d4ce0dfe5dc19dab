import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"

describe("ImperialApp on the memory boundary", () => {
  it.scoped("a paid move travels Rondel -> Accounting -> Rondel", () =>
    Effect.gen(function* () {
      const rondel = yield* RondelHost.RondelHost
      const accounting = yield* AccountingHost.AccountingHost
      const app = yield* Application.Application
      const gameId = "smoke-1" as GameId.GameId
      yield* rondel.execute({ _tag: "SetToStartingPositions", gameId, nations: ["Germany", "France"] })
      yield* accounting.execute({
        _tag: "OpenAccounts",
        gameId,
        nations: ["Germany", "France"],
        startingBalance: 10
      })
      yield* rondel.execute({ _tag: "Move", gameId, nation: "Germany", space: "Investor" })
      yield* app.settle()
      yield* rondel.execute({ _tag: "Move", gameId, nation: "Germany", space: "Factory" })
      yield* app.settle()
      const positions = yield* rondel.positions(gameId)
      const germany = positions?.find((p) => p.nation === "Germany")
      assert.strictEqual(germany?.current, "Factory")
      assert.isNull(germany?.pending)
      const balances = yield* accounting.balances(gameId)
      assert.strictEqual(balances?.find((b) => b.account === "Germany")?.amount, 6)
    }).pipe(Effect.provide(ImperialApp.layerMemory))
  )
})
