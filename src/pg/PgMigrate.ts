import * as SqlClient from "@effect/sql/SqlClient"
import { Clock, Effect } from "effect"
import type { PersistenceError } from "../commit/CommitBoundary.js"
import * as Databases from "./internal/databases.js"
import { ident } from "./internal/ident.js"
import * as SqlFailure from "./internal/sqlFailure.js"
import * as Migrations from "./Migrations.js"
import * as Placement from "./Placement.js"

/** Where one context's schema stands: the last migration applied and the ones still to run. */
export interface SchemaPlan {
  readonly host: string
  readonly schema: string
  /** Where its database is (never a password), or why none was read. */
  readonly location: string
  /** The last migration applied (0: none, or no database was read). */
  readonly applied: number
  readonly pending: ReadonlyArray<Migrations.Migration>
}

/** One context's migrations applied by `migrate`. */
export interface Applied {
  readonly host: string
  readonly schema: string
  readonly location: string
  readonly from: number
  readonly to: number
  readonly tookMillis: number
}

/** The hosts whose schemas to plan or migrate, where they live, and the schema prefix. */
export interface MigrateOptions {
  readonly hosts: ReadonlyArray<string>
  readonly placement: Placement.Placement
  readonly schemaPrefix?: string
}

/** What each context's schema still needs, read from its database (which is not changed). */
export const plan = (options: MigrateOptions): Effect.Effect<ReadonlyArray<SchemaPlan>, PersistenceError> =>
  onEachSchema(options, (sql, host, schema, location) =>
    Effect.map(appliedIn(sql, schema), (applied) => ({
      host,
      schema,
      location,
      applied,
      pending: Migrations.all.filter((migration) => migration.id > applied)
    }))
  )

/** Every migration of each context's schema, for a database not read (`migrate --sql` with no database given). */
export const planFromScratch = (hosts: ReadonlyArray<string>, schemaPrefix = ""): ReadonlyArray<SchemaPlan> =>
  hosts.map((host) => ({
    host,
    schema: `${schemaPrefix}${host}`,
    location: "no database read: every migration",
    applied: 0,
    pending: Migrations.all
  }))

/**
 * Migrates each context's schema on its database, one schema at a time (each in one transaction, serialised with any
 * host starting at the same time), telling `progress` before and after each.
 */
export const migrate = (
  options: MigrateOptions,
  progress: (line: string) => Effect.Effect<void>
): Effect.Effect<ReadonlyArray<Applied>, PersistenceError> =>
  onEachSchema(options, (sql, host, schema, location) =>
    Effect.gen(function* () {
      const from = yield* appliedIn(sql, schema)
      const todo = Migrations.all.filter((migration) => migration.id > from)
      if (todo.length === 0) {
        yield* progress(`${host}: schema ${schema} at ${location} is up to date (migration ${from})`)
        return { host, schema, location, from, to: from, tookMillis: 0 }
      }
      yield* progress(
        `${host}: applying ${todo.map((m) => m.name).join(", ")} to schema ${schema} at ${location} ...`
      )
      const started = yield* Clock.currentTimeMillis
      yield* Effect.provideService(Migrations.runAll([schema]), SqlClient.SqlClient, sql).pipe(
        Effect.mapError((error) =>
          SqlFailure.persistence(`migrate ${host}`, error instanceof Error ? error : new Error(String(error)))
        )
      )
      const to = yield* appliedIn(sql, schema)
      const tookMillis = (yield* Clock.currentTimeMillis) - started
      yield* progress(`${host}: schema ${schema} now at migration ${to} (${tookMillis} ms)`)
      return { host, schema, location, from, to, tookMillis }
    })
  )

/** The SQL `migrate` would run for each schema, as one script a DBA can read or run with psql. */
export const script = (plans: ReadonlyArray<SchemaPlan>): string => {
  const out: Array<string> = []
  for (const p of plans) {
    const schema = ident(p.schema)
    out.push(`-- ${p.host}: schema ${p.schema} (${p.location}); migration ${p.applied} applied`)
    if (p.pending.length === 0) {
      out.push("-- nothing to run", "")
      continue
    }
    out.push("BEGIN;")
    out.push(`SELECT pg_advisory_xact_lock(hashtext('mailroom:migrate:${p.schema}'));`)
    out.push(`CREATE SCHEMA IF NOT EXISTS ${schema};`)
    out.push(
      `CREATE TABLE IF NOT EXISTS ${schema}.mailroom_migrations (migration_id integer PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), name text NOT NULL);`
    )
    for (const migration of p.pending) {
      out.push(`-- migration ${migration.name}`)
      out.push(Migrations.sqlFor(migration, p.schema).trim())
      out.push(
        `INSERT INTO ${schema}.mailroom_migrations (migration_id, name) VALUES (${migration.id}, '${migration.name.replace(/^\d+_/, "")}');`
      )
    }
    out.push("COMMIT;", "")
  }
  return out.join("\n")
}

// internal

const onEachSchema = <A>(
  options: MigrateOptions,
  f: (
    sql: SqlClient.SqlClient,
    host: string,
    schema: string,
    location: string
  ) => Effect.Effect<A, PersistenceError>
): Effect.Effect<ReadonlyArray<A>, PersistenceError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const missing = Placement.unplaced(options.placement, options.hosts)
      if (missing.length > 0) return yield* Effect.dieMessage(`no database for ${missing.join(", ")}`)
      const databases = yield* Effect.orDie(
        Databases.fromPlacement(options.placement, options.hosts, () => 2, "mailroom migrate")
      )
      const out: Array<A> = []
      for (const database of databases)
        for (const host of database.hosts)
          out.push(yield* f(database.client, host, `${options.schemaPrefix ?? ""}${host}`, database.location))
      return out
    })
  )

/** The last migration recorded in a schema (0 when the schema or its table does not exist yet). */
const appliedIn = (sql: SqlClient.SqlClient, schema: string) =>
  Effect.gen(function* () {
    const table = yield* sql.unsafe<{ found: string | null }>(`SELECT to_regclass($1) AS found`, [
      `${ident(schema)}.mailroom_migrations`
    ])
    if (table[0]?.found == null) return 0
    const rows = yield* sql.unsafe<{ latest: number | null }>(
      `SELECT max(migration_id) AS latest FROM ${ident(schema)}.mailroom_migrations`
    )
    return Number(rows[0]?.latest ?? 0)
  }).pipe(Effect.mapError((error) => SqlFailure.persistence(`read migrations of ${schema}`, error)))
