import * as Fs from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Relay from "../../src/commit/Relay.js"
import { assertConverged, balancesOf, inbox, positionsOf, setting, settle } from "./imperialPg.js"

// A database migrated and used by the release before contexts committed independently (migrations 1-6, taken
// with pg_dump from a run of that release: fixtures/release6.sql), with messages in flight: a paid move's charge
// waiting in Rondel's outbox, Accounting's OpenAccounts waiting in its inbox, and a Move parked in Rondel's inbox.
const release6 = Fs.readFileSync(new URL("./fixtures/release6.sql", import.meta.url), "utf8")

describe("upgrading a database of the previous release", () => {
  it.scopedLive("runs the new migrations and loses nothing that was in flight", () =>
    Effect.gen(function* () {
      const { url, sql, app } = yield* setting
      yield* restore(url, release6)
      assert.deepStrictEqual(yield* migrationsOf(sql), [1, 2, 3, 4, 5, 6])
      // Read as the release before wrote it (the outbox has no due times before migration 8).
      assert.deepStrictEqual(
        (yield* sql<{ message_id: string; type: string; delivered: boolean }>`
          SELECT message_id, type, delivered_at IS NOT NULL AS delivered FROM rondel.outbox ORDER BY id`).map(
          (r) => [r.message_id, r.type, r.delivered]
        ),
        [["up-3.1", "ChargeMovement", false]]
      )

      const a = yield* app()
      yield* a.run(settle)
      assert.deepStrictEqual(yield* migrationsOf(sql), [1, 2, 3, 4, 5, 6, 7, 8])
      // The charge went to Accounting after its accounts were opened, was paid, and the move completed.
      assert.deepStrictEqual(yield* positionsOf(sql, "upgrade-paid"), {
        Germany: { current: "Factory", pending: null },
        France: { current: null, pending: null }
      })
      assert.deepStrictEqual(yield* balancesOf(sql, "upgrade-paid"), { Germany: 6, France: 10, Bank: -16 })
      assert.deepStrictEqual(
        (yield* inbox(sql, "accounting")).map((r) => [r.message_id, r.source, r.processed]),
        [
          ["up-4", "external", true],
          ["up-3.1", "rondel", true]
        ]
      )

      // The parked message is still parked, and a redrive gets it handled.
      const relay = yield* a.run(Relay.Relay)
      assert.deepStrictEqual(
        (yield* relay.parked).map((p) => [p.host, p.box, p.messageId]),
        [["rondel", "inbox", "up-5"]]
      )
      yield* relay.redrive("up-5")
      yield* a.run(settle)
      assert.deepStrictEqual(yield* relay.parked, [])
      // It moves a nation of a game nobody set up: handled now, and rejected for that reason.
      assert.deepStrictEqual(
        (yield* inbox(sql, "rondel"))
          .filter((r) => r.message_id === "up-5")
          .map((r) => [r.processed, r.parked]),
        [[true, false]]
      )
      yield* assertConverged(sql)
    })
  )
})

// internal

const migrationsOf = (sql: Effect.Effect.Success<typeof setting>["sql"]) =>
  Effect.map(
    sql<{ migration_id: number }>`SELECT migration_id FROM rondel.mailroom_migrations ORDER BY migration_id`,
    (rows) => rows.map((row) => row.migration_id)
  )

/** Runs a plain pg_dump on its own connection (the dump changes its session's settings). */
const restore = (url: string, text: string) =>
  Effect.promise(async () => {
    const { default: Pg } = await import("pg")
    const client = new Pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query(text)
    } finally {
      await client.end()
    }
  })
