import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit } from "effect"
import type { Scope } from "effect"
import type { PersistenceError } from "../../commit/CommitBoundary.js"
import type { Deferral, OutboxClaim, OutboxMessage } from "../../commit/ContextStorage.js"
import type { Envelope } from "../../runtime/Envelope.js"
import * as Batcher from "./batcher.js"
import * as Dedicated from "./dedicated.js"
import * as SqlFailure from "./sqlFailure.js"

/**
 * One context's outbox as the relay sees it: claimed in id order by one process at a time (a session advisory lock
 * per outbox), deleted in groups once forwarded, and counted or parked when a destination refuses a message.
 */
export const make = (sql: SqlClient.SqlClient, options: { readonly schema: string }) =>
  Effect.gen(function* () {
    const table = `"${options.schema}".outbox`
    const lockName = `mailroom:forward:"${options.schema}"`

    // The lock is taken in the statement that reads the rows (one round trip); the first row says whether it was
    // got, even when nothing waits, so the round knows to give it back. Messages to send now come by the pending index
    // in id order, scheduled ones that are due by the due index; the same statement says how long until the next
    // scheduled one falls due, so the relay sleeps until then instead of polling for it.
    const claimText = `
      WITH lock AS MATERIALIZED (
        SELECT got, CASE WHEN got THEN (
          SELECT extract(epoch FROM min(due_at) - now()) * 1000 FROM ${table}
          WHERE delivered_at IS NULL AND parked_at IS NULL AND due_at IS NOT NULL AND due_at > now()
        ) END AS next_due_in
        FROM (SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got) l
      )
      SELECT lock.got, lock.next_due_in, o.id, o.destination, o.envelope, o.attempts, o.scheduled
      FROM lock LEFT JOIN LATERAL (
        SELECT * FROM (
          (SELECT id, destination, envelope, attempts, false AS scheduled FROM ${table}
           WHERE lock.got AND delivered_at IS NULL AND parked_at IS NULL AND due_at IS NULL
             AND NOT (destination = ANY($2::text[]))
           ORDER BY id LIMIT $3)
          UNION ALL
          (SELECT id, destination, envelope, attempts, true AS scheduled FROM ${table}
           WHERE lock.got AND delivered_at IS NULL AND parked_at IS NULL AND due_at IS NOT NULL AND due_at <= now()
             AND NOT (destination = ANY($2::text[]))
           ORDER BY due_at, id LIMIT $3)
        ) ready ORDER BY id LIMIT $3
      ) o ON true`
    const unlockText = "SELECT pg_advisory_unlock(hashtextextended($1, 0))"
    const claimConnection = yield* Dedicated.make(sql)

    const claim = (
      limit: number,
      skip: ReadonlyArray<string>
    ): Effect.Effect<OutboxClaim, PersistenceError, Scope.Scope> =>
      Effect.map(
        Effect.acquireRelease(
          Effect.mapError(claimConnection.execute<ClaimRow>(claimText, [lockName, skip, limit]), (error) =>
            SqlFailure.persistence("claim outbox", error)
          ),
          (rows) =>
            rows[0]?.got === true
              ? Effect.ignore(claimConnection.execute(unlockText, [lockName]))
              : Effect.void
        ),
        (rows): OutboxClaim => {
          const messages = rows.flatMap(
            (row): Array<OutboxMessage> =>
              row.id === null
                ? []
                : [
                    {
                      id: row.id,
                      destination: row.destination!,
                      envelope: row.envelope!,
                      attempts: row.attempts!,
                      ...(row.scheduled === true ? { scheduled: true } : {})
                    }
                  ]
          )
          const nextDueIn = rows[0]?.next_due_in
          return nextDueIn === null || nextDueIn === undefined
            ? { messages }
            : { messages, nextDueIn: Math.max(0, Math.ceil(Number(nextDueIn))) }
        }
      )

    // A forwarded row is deleted, in groups, on a kept connection: the consumer's inbox holds the message (and its
    // delivery history) from then on, so keeping the row would only cost a second write of it. Without waiting for the
    // WAL flush: a delete lost in a crash only makes the relay forward the message again, and the inbox drops it.
    const markText = `DELETE FROM ${table}
      USING (SELECT set_config('synchronous_commit', 'off', true)) settings
      WHERE id = ANY($1::bigint[])`
    const markConnection = yield* Dedicated.make(sql)
    const markBatch = yield* Batcher.make<ReadonlyArray<string>, void, PersistenceError>(
      (batch) =>
        Effect.mapBoth(markConnection.execute(markText, [batch.flat()]), {
          onFailure: (error) => SqlFailure.persistence("mark forwarded", error),
          onSuccess: () => batch.map(() => Exit.void)
        }),
      { maxBatch: 256 }
    )
    const markForwarded = (ids: ReadonlyArray<string>) => (ids.length === 0 ? Effect.void : markBatch(ids))

    const defer = (message: OutboxMessage, deferral: Deferral) =>
      Effect.asVoid(
        Effect.mapError(
          sql.unsafe(
            `UPDATE ${table} SET attempts = $2, last_error = $3,
               parked_at = CASE WHEN $4 THEN now() ELSE NULL END
             WHERE id = $1`,
            [message.id, deferral.attempts, deferral.error, deferral.park]
          ),
          (error) => SqlFailure.persistence("defer", error)
        )
      )

    return { claim, markForwarded, defer }
  })

// internal

interface ClaimRow {
  readonly got: boolean
  /** Milliseconds until the next scheduled row falls due (a numeric: node-postgres may give it as a string). */
  readonly next_due_in: string | number | null
  readonly id: string | null
  readonly destination: string | null
  readonly envelope: Envelope | null
  readonly attempts: number | null
  readonly scheduled: boolean | null
}
