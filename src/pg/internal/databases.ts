import * as Reactivity from "@effect/experimental/Reactivity"
import type { SqlError } from "@effect/sql/SqlError"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Redacted, type Scope } from "effect"
import Pg from "pg"
import * as Placement from "../Placement.js"

/** One database of a deployment and the hosts placed on it. */
export interface Database {
  readonly client: PgClient.PgClient
  /** The connection URL (holds the password: never print it; `location` is for messages). */
  readonly url: string
  /** Host, port and database name, for messages. */
  readonly location: string
  /** The hosts whose schemas live here. */
  readonly hosts: ReadonlyArray<string>
}

/**
 * A client per distinct database URL of a placement, each with a pool of the given size. The pools connect on first
 * use, not here, so a database that is down does not keep the others from starting.
 */
export const fromPlacement = (
  placement: Placement.Placement,
  hosts: ReadonlyArray<string>,
  poolSize: (hostsHere: ReadonlyArray<string>) => number,
  applicationName: string
): Effect.Effect<ReadonlyArray<Database>, SqlError, Scope.Scope> =>
  Effect.gen(function* () {
    const byUrl = new Map<string, { url: Redacted.Redacted; hosts: Array<string> }>()
    for (const host of hosts) {
      const url = Placement.urlOf(placement, host)
      if (url === undefined) return yield* Effect.dieMessage(`host ${host} has no database`)
      const entry = byUrl.get(Redacted.value(url))
      if (entry === undefined) byUrl.set(Redacted.value(url), { url, hosts: [host] })
      else entry.hosts.push(host)
    }
    return yield* Effect.forEach(byUrl.values(), ({ url, hosts: here }) =>
      Effect.map(
        PgClient.fromPool({
          acquire: Effect.acquireRelease(
            Effect.sync(() => {
              const pool = new Pg.Pool({
                connectionString: Redacted.value(url),
                max: poolSize(here),
                connectionTimeoutMillis: 10_000,
                application_name: applicationName
              })
              // An idle connection that dies (the server stopped) is reported here; unheard, it would end the
              // process. The pool drops it, and the next statement gets a new connection or a failure to handle.
              pool.on("error", () => {})
              return pool
            }),
            (pool) => Effect.promise(() => pool.end()).pipe(Effect.timeoutOption("1 second"))
          ),
          applicationName
        }).pipe(Effect.provide(Reactivity.layer)),
        (client): Database => ({
          client,
          url: Redacted.value(url),
          location: Placement.locationOf(url),
          hosts: here
        })
      )
    )
  })
