import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { SqlError } from "@effect/sql/SqlError"
import * as Migration1 from "./migrations/migration1.js"
import * as Migration2 from "./migrations/migration2.js"
import * as Migration3 from "./migrations/migration3.js"
import * as Migration4 from "./migrations/migration4.js"
import * as Migration5 from "./migrations/migration5.js"
import * as Migration6 from "./migrations/migration6.js"
import * as Migration7 from "./migrations/migration7.js"
import * as Migration8 from "./migrations/migration8.js"

/** One released migration of a context's schema: its name and frozen SQL text (`__schema__` stands for the schema). */
export interface Migration {
  readonly id: number
  readonly name: string
  readonly text: string
}

/**
 * Every migration of a bounded context's own schema (state, audit log, inbox, outbox, the commit function), in order.
 * Released text is frozen: a change is a new migration, never an edit (a test pins each text's checksum).
 */
export const all: ReadonlyArray<Migration> = [
  Migration1,
  Migration2,
  Migration3,
  Migration4,
  Migration5,
  Migration6,
  Migration7,
  Migration8
].map((migration, i) => ({ id: i + 1, name: migration.name, text: migration.text }))

/** A migration's SQL for one schema (the schema name is checked: lower-case letters, digits or _). */
export const sqlFor = (migration: Migration, schema: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new Error(`schema name "${schema}" must be lower-case letters, digits or _`)
  return migration.text.replaceAll("__schema__", schema)
}

/** The migrations of one context's schema as the `@effect/sql` Migrator runs them. */
export const forSchema = (
  schema: string,
  migrations: ReadonlyArray<Migration> = all
): Record<string, Effect.Effect<void, SqlError, SqlClient.SqlClient>> =>
  Object.fromEntries(
    migrations.map((migration) => [
      `${migration.id}_${migration.name.replace(/^\d+_/, "")}`,
      Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql.unsafe(sqlFor(migration, schema)).raw))
    ])
  )

/**
 * Runs the migrations of every given schema on the database of the SqlClient, each in its own transaction and
 * serialised across processes by an advisory lock; each schema records its migrations in its own table, so contexts
 * can be added, upgraded or dropped independently. `upTo` stops at a migration id (for upgrade tests).
 */
export const runAll = (schemas: ReadonlyArray<string>, options: { readonly upTo?: number } = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const migrations = all.filter((migration) => migration.id <= (options.upTo ?? Number.POSITIVE_INFINITY))
    for (const schema of schemas) {
      yield* sql.withTransaction(
        Effect.gen(function* () {
          // Two processes starting at once would race on CREATE SCHEMA and the migrations table.
          yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`mailroom:migrate:${schema}`}))`
          yield* sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`)
          // Created here (same shape as the Migrator's) because the Migrator probes for it with a failing
          // statement, which would abort this transaction.
          yield* sql.unsafe(
            `CREATE TABLE IF NOT EXISTS ${ident(schema)}.mailroom_migrations (
               migration_id integer PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), name text NOT NULL)`
          )
          yield* Migrator.make({})({
            loader: Migrator.fromRecord(forSchema(schema, migrations)),
            table: `${schema}.mailroom_migrations`
          })
        })
      )
    }
  })

/** Quotes an SQL identifier. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`
