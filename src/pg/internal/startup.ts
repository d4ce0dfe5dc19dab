import * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect, Schema } from "effect"
import { PersistenceError } from "../../commit/CommitBoundary.js"
import * as Migrations from "../Migrations.js"
import * as Migrator from "./migrator.js"
import type { Database } from "./databases.js"
import * as SqlFailure from "./sqlFailure.js"
import * as WaitForDatabase from "./waitForDatabase.js"

/** PostgreSQL did not answer at start within the configured wait. */
export class DatabaseUnreachable extends Schema.TaggedError<DatabaseUnreachable>()("DatabaseUnreachable", {
  address: Schema.String,
  message: Schema.String
}) {}

/**
 * Migrates the schemas of the hosts placed on one database, first waiting for it as `retry` says while it does not
 * answer (each wait said, see `WaitForDatabase`; `false`: one attempt). Any other failure ends start-up.
 */
export const migrate = (
  database: Database,
  schemaOf: (host: string) => string,
  retry: WaitForDatabase.Retry | false
): Effect.Effect<void, PersistenceError | DatabaseUnreachable> => {
  const run = Effect.provideService(
    Migrator.run(database.hosts.map(schemaOf), Migrations.all),
    SqlClient.SqlClient,
    database.client
  )
  const failed = (error: unknown) =>
    error instanceof Error
      ? SqlFailure.persistence(`migrate ${database.hosts.join(", ")}`, error)
      : new PersistenceError({ operation: "migrate", message: String(error) })
  if (retry === false) return Effect.mapError(run, failed)
  return Effect.scoped(WaitForDatabase.connect(database.url, retry, () => run)).pipe(
    Effect.catchIf(WaitForDatabase.passesLater, (error) => {
      const address = WaitForDatabase.addressOf(database.url).address
      return Effect.fail(
        new DatabaseUnreachable({
          address,
          message: `PostgreSQL at ${address} did not answer within ${Duration.format(retry.giveUpAfter ?? Duration.zero)}: ${WaitForDatabase.describe(error)}`
        })
      )
    }),
    Effect.mapError((error) => (error instanceof DatabaseUnreachable ? error : failed(error)))
  )
}
