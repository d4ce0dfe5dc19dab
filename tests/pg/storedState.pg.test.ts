import * as Fs from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as AccountingState from "../../hosts/accounting/AccountingState.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelState from "../../hosts/rondel/RondelState.js"
import { balancesOf, move, positionsOf, setting, settle, toRondel } from "./imperialPg.js"

// The state rows both hosts stored before states were versioned (tests/hosts/fixtures), put in the tables of a
// database migrated by this release: they load through the hosts' queries, a new message handles them, and the
// state is written back at the current version.

interface StateRow {
  readonly key: string
  readonly version: number
  readonly state: unknown
}
const rows = (host: string): ReadonlyArray<StateRow> =>
  JSON.parse(Fs.readFileSync(new URL(`../hosts/fixtures/${host}-state-v1.json`, import.meta.url), "utf8"))

describe("states stored by the release before versioned states", () => {
  it.scopedLive("load on PostgreSQL, are handled, and are written back at the current version", () =>
    Effect.gen(function* () {
      const { sql, app } = yield* setting
      const a = yield* app()
      for (const host of ["rondel", "accounting"]) {
        for (const row of rows(host)) {
          yield* sql.unsafe(`INSERT INTO ${host}.state (key, version, state) VALUES ($1, $2, $3::jsonb)`, [
            row.key,
            row.version,
            JSON.stringify(row.state)
          ])
        }
      }
      // The fixture's own game id (a fresh database per test, so no other test sees it).
      const gameId = GameId.GameId.make("game-1")
      const positions = yield* a.run(
        Effect.flatMap(RondelClient.RondelClient, (rondel) => rondel.positions(gameId))
      )
      assert.deepStrictEqual(
        positions?.map((p) => [p.nation, p.current, p.pending?.billingId ?? null]),
        [
          ["Germany", "Factory", "bill-fz-1"],
          ["Italy", "ManeuverTwo", null],
          ["France", "Taxation", null]
        ]
      )
      const balances = yield* a.run(
        Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.balances(gameId))
      )
      assert.deepStrictEqual(
        balances?.map((b) => [b.account, b.amount]),
        [
          ["Germany", 2],
          ["Italy", 7],
          ["France", 0],
          ["Bank", -9]
        ]
      )

      // A paid move of Italy: 4 steps, 2M, paid from the upcast balance.
      yield* a.run(toRondel(move(gameId, "Italy", "ManeuverOne")))
      yield* a.run(settle)
      assert.deepInclude(yield* positionsOf(sql, gameId), {
        Italy: { current: "ManeuverOne", pending: null }
      })
      assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 2, Italy: 5, France: 0, Bank: -7 })
      const versions = yield* sql<{ host: string; v: number | null }>`
        SELECT 'rondel' AS host, (state->>'schemaVersion')::int AS v FROM rondel.state WHERE key = 'game-1'
        UNION ALL SELECT 'accounting', (state->>'schemaVersion')::int FROM accounting.state WHERE key = 'game-1'`
      assert.deepStrictEqual(
        versions.map((r) => [r.host, r.v]),
        [
          ["rondel", RondelState.version],
          ["accounting", AccountingState.version]
        ]
      )
    })
  )
})
