import * as net from "node:net"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Layer, Redacted, type Scope } from "effect"
import { inject } from "vitest"
import * as PostgresServer from "../../src/pg/testing/PostgresServer.js"

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

/** A port nothing listens on (yet). */
export const freePort = Effect.async<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Forwards every connection on `port` to `target` for the lifetime of the scope. */
export const proxy = (port: number, target: URL) =>
  Effect.acquireRelease(
    Effect.async<net.Server>((resume) => {
      const sockets = new Set<net.Socket>()
      const server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname)
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("error", () => {
            client.destroy()
            upstream.destroy()
          })
        }
        client.pipe(upstream).pipe(client)
      })
      server.on("close", () => {
        for (const socket of sockets) socket.destroy()
      })
      server.listen(port, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.emit("close")
      })
  )

/** This run's fresh database, reached through `port` instead of the server's own. */
export const throughPort = (url: string, port: number) => {
  const parsed = new URL(url)
  parsed.hostname = "127.0.0.1"
  parsed.port = String(port)
  return parsed.href
}
