import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Layer, Redacted, type Scope } from "effect"
import { inject } from "vitest"
import * as PostgresServer from "../../src/pg/PostgresServer.js"

/** URL of this run's database (created by globalSetup). */
export const runDatabaseUrl = (): string => inject("databaseUrl")

/** A new database on this run's server, dropped when the scope closes. */
export const freshDatabase = (): Effect.Effect<
  { readonly url: string; readonly name: string },
  PostgresServer.PostgresUnavailable,
  Scope.Scope
> => PostgresServer.createDatabase(runDatabaseUrl())

/**
 * A PgClient on a database of its own, created when the layer is built and dropped when it is released,
 * so concurrent tests never see each other's rows. Use one per `layer(...)` block or per test.
 */
export const layerFreshDatabase = (
  options: { readonly maxConnections?: number } = {}
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError | PostgresServer.PostgresUnavailable> =>
  Layer.unwrapScoped(
    Effect.map(freshDatabase(), ({ url }) =>
      PgClient.layer({ url: Redacted.make(url), maxConnections: options.maxConnections ?? 10 })
    )
  )
