import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { PersistenceError } from "../commit/CommitBoundary.js"
import * as Migrator from "./internal/migrator.js"
import * as SqlFailure from "./internal/sqlFailure.js"
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
export const sqlFor: (migration: Migration, schema: string) => string = Migrator.sqlFor

/**
 * Runs the migrations of every given schema on the database of the SqlClient, each in its own transaction and
 * serialised across processes by an advisory lock; each schema records its migrations in its own table, so contexts
 * can be added, upgraded or dropped independently. `upTo` stops at a migration id (for upgrade tests). A failure is a
 * `PersistenceError` naming the schema.
 */
export const runAll = (
  schemas: ReadonlyArray<string>,
  options: { readonly upTo?: number } = {}
): Effect.Effect<void, PersistenceError, SqlClient.SqlClient> =>
  Effect.forEach(
    schemas,
    (schema) =>
      Effect.mapError(
        Migrator.run(
          [schema],
          all.filter((migration) => migration.id <= (options.upTo ?? Number.POSITIVE_INFINITY))
        ),
        (error) => SqlFailure.persistence(`migrate schema ${schema}`, error)
      ),
    { discard: true }
  )
