import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit } from "effect"
import type { Scope } from "effect"
import type { PersistenceError } from "../../commit/CommitBoundary.js"
import type { Deferral, OutboxMessage } from "../../commit/ContextStorage.js"
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
    // got, even when nothing waits, so the round knows to give it back.
    const claimText = `
      WITH lock AS MATERIALIZED (SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got)
      SELECT lock.got, o.id, o.destination, o.envelope, o.attempts
      FROM lock LEFT JOIN LATERAL (
        SELECT id, destination, envelope, attempts FROM ${table}
        WHERE lock.got AND delivered_at IS NULL AND parked_at IS NULL AND NOT (destination = ANY($2::text[]))
        ORDER BY id LIMIT $3
      ) o ON true`
    const unlockText = "SELECT pg_advisory_unlock(hashtextextended($1, 0))"
    const claimConnection = yield* Dedicated.make(sql)

    const claim = (
      limit: number,
      skip: ReadonlyArray<string>
    ): Effect.Effect<ReadonlyArray<OutboxMessage>, PersistenceError, Scope.Scope> =>
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
        (rows) =>
          rows.flatMap((row) =>
            row.id === null
              ? []
              : [
                  {
                    id: row.id,
                    destination: row.destination!,
                    envelope: row.envelope!,
                    attempts: row.attempts!
                  }
                ]
          )
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
  readonly id: string | null
  readonly destination: string | null
  readonly envelope: Envelope | null
  readonly attempts: number | null
}
