import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import { eventually, settle } from "./imperialPg.js"
import { freshDatabase } from "./support.js"

const app = (relay: NonNullable<ImperialApp.PostgresOptions["relay"]>, inlineRelay: boolean) =>
  Layer.unwrapScoped(
    Effect.map(freshDatabase(), ({ url }) => ImperialApp.layerPostgres({ url, relay, inlineRelay }))
  )

const setUp = (gameId: GameId.GameId) =>
  Effect.gen(function* () {
    const rondel = yield* RondelHost.RondelHost
    const accounting = yield* AccountingHost.AccountingHost
    yield* rondel.execute({ _tag: "SetToStartingPositions", gameId, nations: ["Austria-Hungary"] })
    yield* accounting.execute({
      _tag: "OpenAccounts",
      gameId,
      nations: ["Austria-Hungary"],
      startingBalance: 10
    })
    yield* rondel.execute({ _tag: "Move", gameId, nation: "Austria-Hungary", space: "Investor" })
  })

// With the inline relay (the default) a commit writes what it produces straight into the consumers' inboxes when
// they share the database: a paid move completes even with the mover switched off, and per-key order still holds.
describe("inline relay (commit_batch_relayed)", () => {
  it.live("a paid move completes with the mover switched off: each commit hands its rows to the inbox", () =>
    Effect.gen(function* () {
      const rondel = yield* RondelHost.RondelHost
      const accounting = yield* AccountingHost.AccountingHost
      const sql = yield* SqlClient.SqlClient
      const gameId = "inline-1" as GameId.GameId
      yield* setUp(gameId)
      yield* settle
      yield* rondel.execute({ _tag: "Move", gameId, nation: "Austria-Hungary", space: "ProductionTwo" })
      yield* settle
      assert.strictEqual((yield* rondel.positions(gameId))?.[0]?.current, "ProductionTwo")
      assert.strictEqual((yield* accounting.balances(gameId))?.[0]?.amount, 4) // six steps cost 6M
      const pending = yield* sql<{
        n: number
      }>`SELECT count(*)::int AS n FROM rondel.outbox WHERE delivered_at IS NULL`
      assert.strictEqual(pending[0]?.n, 0)
      // The charge never touched Rondel's outbox: Rondel's commit wrote it into Accounting's inbox.
      const charges = yield* sql<{ source: string; in_outbox: boolean }>`
        SELECT i.source, EXISTS (SELECT 1 FROM rondel.outbox o WHERE o.message_id = i.message_id) AS in_outbox
        FROM accounting.inbox i WHERE i.type = 'ChargeMovement' AND i.key = ${gameId}`
      assert.deepStrictEqual(charges, [{ source: "rondel", in_outbox: false }])
    }).pipe(Effect.scoped, Effect.provide(app({ move: false, pollInterval: "50 millis" }, true)))
  )

  it.live("a row is not handed over while an older row of the same destination and game still waits", () =>
    Effect.gen(function* () {
      const rondel = yield* RondelHost.RondelHost
      const sql = yield* SqlClient.SqlClient
      const gameId = "inline-2" as GameId.GameId
      yield* setUp(gameId)
      yield* settle
      // An older message for Accounting about this game, committed but not yet moved (the mover is off).
      yield* sql`INSERT INTO rondel.outbox (destination, key, message_id, type, envelope)
                 VALUES ('accounting', ${gameId}, 'older-1', 'VoidCharge', '{}'::jsonb)`
      yield* rondel.execute({ _tag: "Move", gameId, nation: "Austria-Hungary", space: "ProductionTwo" })
      // Rondel handled the Move (its pending movement is stored) ...
      yield* eventually(
        sql,
        "Rondel stored the pending movement",
        Effect.map(rondel.positions(gameId), (positions) => (positions?.[0]?.pending ?? null) !== null)
      )
      // ... but its ChargeMovement waits behind the older row instead of overtaking it.
      const rows = yield* sql<{ message_id: string; delivered: boolean }>`
        SELECT message_id, delivered_at IS NOT NULL AS delivered FROM rondel.outbox
        WHERE destination = 'accounting' AND key = ${gameId} ORDER BY id`
      assert.deepStrictEqual(
        rows.map((r) => [r.message_id === "older-1" ? "older-1" : "charge", r.delivered]),
        [
          ["older-1", false],
          ["charge", false]
        ]
      )
      const inInbox = yield* sql<{
        n: number
      }>`SELECT count(*)::int AS n FROM accounting.inbox WHERE type = 'ChargeMovement'`
      assert.strictEqual(inInbox[0]?.n, 0)
    }).pipe(Effect.scoped, Effect.provide(app({ move: false, pollInterval: "50 millis" }, true)))
  )

  it.live(
    "a consumer without an accept function (migrated by an older release) gets its rows via the mover",
    () =>
      Effect.gen(function* () {
        const rondel = yield* RondelHost.RondelHost
        const accounting = yield* AccountingHost.AccountingHost
        const sql = yield* SqlClient.SqlClient
        const gameId = "inline-4" as GameId.GameId
        yield* setUp(gameId)
        yield* settle
        yield* sql`DROP FUNCTION accounting.accept(jsonb, text)`
        yield* rondel.execute({ _tag: "Move", gameId, nation: "Austria-Hungary", space: "ProductionTwo" })
        yield* settle
        assert.strictEqual((yield* accounting.balances(gameId))?.[0]?.amount, 4)
        const rows = yield* sql<{ type: string; delivered: boolean }>`
        SELECT type, delivered_at IS NOT NULL AS delivered FROM rondel.outbox WHERE key = ${gameId}`
        assert.deepStrictEqual(rows, [{ type: "ChargeMovement", delivered: true }])
      }).pipe(Effect.scoped, Effect.provide(app({ pollInterval: "50 millis" }, true)))
  )

  it.live("switched off, rows wait for the mover (the classic outbox relay)", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const gameId = "inline-3" as GameId.GameId
      const rondel = yield* RondelHost.RondelHost
      yield* setUp(gameId)
      yield* rondel.execute({ _tag: "Move", gameId, nation: "Austria-Hungary", space: "ProductionTwo" })
      yield* eventually(
        sql,
        "Rondel stored the pending movement",
        Effect.map(rondel.positions(gameId), (positions) => (positions?.[0]?.pending ?? null) !== null)
      )
      const pending = yield* sql<{
        n: number
      }>`SELECT count(*)::int AS n FROM rondel.outbox WHERE delivered_at IS NULL`
      assert.strictEqual(pending[0]?.n, 1)
    }).pipe(Effect.scoped, Effect.provide(app({ move: false, pollInterval: "50 millis" }, false)))
  )
})
