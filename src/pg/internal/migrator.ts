import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { Migration } from "../Migrations.js"
import { ident } from "./ident.js"

/** A migration's SQL for one schema (the schema name is checked: lower-case letters, digits or _). */
export const sqlFor = (migration: Migration, schema: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new Error(`schema name "${schema}" must be lower-case letters, digits or _`)
  return migration.text.replaceAll("__schema__", schema)
}

/**
 * Runs the given migrations of every given schema, each schema in its own transaction, serialised across processes
 * by an advisory lock; the failure is the driver's, so start-up can tell a database that is not up yet.
 */
export const run = (
  schemas: ReadonlyArray<string>,
  migrations: ReadonlyArray<Migration>
): Effect.Effect<void, SqlError | Migrator.MigrationError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
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

// internal

/** The migrations of one context's schema as the `@effect/sql` Migrator runs them. */
const forSchema = (
  schema: string,
  migrations: ReadonlyArray<Migration>
): Record<string, Effect.Effect<void, SqlError, SqlClient.SqlClient>> =>
  Object.fromEntries(
    migrations.map((migration) => [
      `${migration.id}_${migration.name.replace(/^\d+_/, "")}`,
      Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql.unsafe(sqlFor(migration, schema)).raw))
    ])
  )
