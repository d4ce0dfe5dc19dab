import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as PgClient from "@effect/sql-pg/PgClient"
import { Duration, Effect, Schedule } from "effect"
import type { PersistenceError } from "../../commit/CommitBoundary.js"
import * as Migrations from "../Migrations.js"
import type { Database } from "./databases.js"
import * as SqlFailure from "./sqlFailure.js"

/** How start-up waits for a database that does not answer yet. */
export interface StartupOptions {
  /** Keep trying while the database cannot be reached (default true); false fails at once. */
  readonly waitForDatabase?: boolean
  /** Longest pause between tries (default 5 seconds). */
  readonly maxRetryDelay?: Duration.DurationInput
}

/**
 * Migrates the schemas of the hosts placed on one database. While the database cannot be reached it says so (what it
 * waits for, which try, when the next comes) and tries again with a growing pause; any other failure ends start-up.
 */
export const migrate = (
  database: Database,
  schemaOf: (host: string) => string,
  options: StartupOptions = {}
): Effect.Effect<void, PersistenceError> => {
  const run = Effect.mapError(
    Effect.provideService(
      Migrations.runAll(database.hosts.map(schemaOf)),
      SqlClient.SqlClient,
      database.client as PgClient.PgClient
    ),
    (error: SqlError | Error) => SqlFailure.persistence(`migrate ${database.hosts.join(", ")}`, error)
  )
  if (options.waitForDatabase === false) return run
  const maxDelay = Duration.decode(options.maxRetryDelay ?? "5 seconds")
  let attempt = 0
  return run.pipe(
    Effect.tapError((error) => {
      if (error.unavailable !== true) return Effect.void
      attempt++
      const next = Duration.min(
        Duration.times(Duration.millis(200), 2 ** Math.min(attempt - 1, 10)),
        maxDelay
      )
      return Effect.logWarning(
        `waiting for PostgreSQL at ${database.location} (for ${database.hosts.join(", ")}): ${error.message}; try ${attempt}, next in ${Duration.format(next)}`
      )
    }),
    Effect.retry({
      while: (error) => error.unavailable === true,
      schedule: Schedule.exponential("200 millis").pipe(Schedule.union(Schedule.spaced(maxDelay)))
    }),
    Effect.tap(() =>
      attempt > 0 ? Effect.logInfo(`PostgreSQL at ${database.location} answers`) : Effect.void
    )
  )
}
