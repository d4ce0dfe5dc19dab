import type * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { type SqlError, SqlError as SqlErrorClass } from "@effect/sql/SqlError"
import { Cause, Effect, ExecutionStrategy, Exit, Scope } from "effect"
import * as Tracing from "../../commit/Tracing.js"

/**
 * One pooled connection kept by one worker fiber (a commit or front-door writer, a relay loop) for its hot statements. Each
 * statement through the client's `sql` template acquires a pooled connection, opens a span and compiles its text;
 * on these 2-core machines that costs about as much CPU as the database spends on a small commit. A dedicated
 * connection runs precompiled text directly (measured: +13% host commits/s at 4 callers, BENCHMARKS.md), as a named
 * prepared statement where the client allows it: the relay's claim statement costs the database 0.27 ms parsed and
 * planned each time, 0.11 ms prepared (pgbench, one client, on these machines).
 *
 * It is reserved on first use and given back when the owning scope closes (which must close before the client's:
 * the pool waits for every reserved connection when it ends). A statement the database refuses leaves the session
 * as it was, so the connection is kept. Any other failure (the session died, the statement was interrupted) retires
 * it: its session is ended, the pool discards it, and the next statement reserves another. Not for concurrent use:
 * one owner fiber.
 */
export interface Dedicated {
  /** Runs one statement on the kept connection; a span is recorded only when an exporting tracer is installed. */
  readonly execute: <A = Record<string, unknown>>(
    text: string,
    params: ReadonlyArray<unknown>
  ) => Effect.Effect<ReadonlyArray<A>, SqlError>
}

/** A dedicated connection for the lifetime of the scope. */
export const make = (sql: SqlClient.SqlClient): Effect.Effect<Dedicated, never, Scope.Scope> =>
  Effect.gen(function* () {
    const owner = yield* Effect.scope
    let held: { readonly connection: Connection; readonly scope: Scope.CloseableScope } | undefined

    // Uninterruptible: a reservation interrupted before the pool answers is never given back (the client's
    // reserve registers its release only once it has the connection), and the pool's end would wait for it.
    const acquire = Effect.uninterruptible(
      Effect.gen(function* () {
        const scope = yield* Scope.fork(owner, ExecutionStrategy.sequential)
        const connection = yield* Scope.extend(sql.reserve, scope).pipe(
          Effect.onError(() => Scope.close(scope, Exit.void))
        )
        held = { connection, scope }
        return connection
      })
    )

    // A retired connection's session is ended before the connection goes back: the pool then discards it. Given
    // back as it is, a dying session would go back to the pool as idle (node-postgres fails its statement before it
    // marks the client broken) and be handed out again; a live one might still hold advisory locks.
    const retire = Effect.suspend(() => {
      const current = held
      held = undefined
      if (current === undefined) return Effect.void
      rawClient(current.connection)
        ?.end()
        .catch(() => undefined)
      return Scope.close(current.scope, Exit.void)
    })

    const run = <A>(
      text: string,
      params: ReadonlyArray<unknown>
    ): Effect.Effect<ReadonlyArray<A>, SqlError> =>
      Effect.flatMap(held === undefined ? acquire : Effect.succeed(held.connection), (connection) => {
        const client = rawClient(connection)
        return client === undefined
          ? connection.execute(text, params, undefined)
          : prepared<A>(client, statementName(text), text, params)
      }).pipe(Effect.onError((cause) => (sessionSurvives(cause) ? Effect.void : retire)))

    return {
      execute: <A>(text: string, params: ReadonlyArray<unknown>) =>
        Tracing.ifExporting((exporting) => {
          const statement = Effect.suspend(() => run<A>(text, params))
          return exporting
            ? Effect.withSpan(statement, "sql.execute", {
                kind: "client",
                captureStackTrace: false,
                attributes: { "db.system.name": "postgresql", "db.query.text": text }
              })
            : statement
        })
    }
  })

/**
 * The database refused the statement itself (a SQLSTATE with severity ERROR: a constraint, a trigger, a value it does
 * not accept): sending it again changes nothing. Any other failure (the connection reset, a timeout) may pass on a
 * fresh connection.
 */
export const refused = (error: SqlError): boolean => {
  const cause = (error as { readonly cause?: unknown }).cause as
    | { readonly code?: unknown; readonly severity?: unknown }
    | undefined
  return typeof cause?.code === "string" && cause.severity === "ERROR"
}

/**
 * Resumes after the I/O events Node has already received (one `setImmediate`, whatever the Effect clock): before
 * a statement is sent again on another connection, the pool has seen the end of every connection that ended with
 * the lost one, so it hands out one that works.
 */
export const afterPendingIo: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

// internal

/** The part of a node-postgres client a named statement needs. */
interface RawClient {
  readonly query: (
    config: { readonly name: string; readonly text: string; readonly values: ReadonlyArray<unknown> },
    callback: (error: Error | null, result: { readonly rows: ReadonlyArray<unknown> }) => void
  ) => void
  readonly end: () => Promise<void>
}

/**
 * The node-postgres client behind a reserved @effect/sql-pg connection (its `pg` field), or undefined when the
 * connection is not one (then statements go through `execute`, unnamed).
 */
const rawClient = (connection: Connection): RawClient | undefined => {
  const client = (connection as { readonly pg?: unknown }).pg
  const raw = client as RawClient | undefined
  return typeof raw?.query === "function" && typeof raw.end === "function" ? raw : undefined
}

/**
 * Runs a statement by name: node-postgres parses it once per connection and binds it after that. An interrupted
 * statement runs to its end on the server; the interruption retires the connection (see `retire`).
 */
const prepared = <A>(client: RawClient, name: string, text: string, params: ReadonlyArray<unknown>) =>
  Effect.async<ReadonlyArray<A>, SqlError>((resume) => {
    client.query({ name, text, values: params }, (error, result) => {
      if (error)
        resume(Effect.fail(new SqlErrorClass({ cause: error, message: "Failed to execute statement" })))
      else resume(Effect.succeed(result.rows as ReadonlyArray<A>))
    })
  })

/** A statement's name: a hash of its text, so the same text is prepared once per connection. */
const statementName = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return `mailroom_${(hash >>> 0).toString(36)}_${text.length}`
}

/** The database refused the statement with an ordinary error (a SQLSTATE, severity ERROR): the session is fine. */
const sessionSurvives = (cause: Cause.Cause<SqlError>): boolean =>
  Cause.isFailType(cause) && refused(cause.error)
