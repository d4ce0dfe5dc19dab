import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { AuditEntry, ScheduledEnvelope } from "../../commit/CommitBoundary.js"
import type { BoxStats, MessageStatus, ParkedMessage, PendingMessage } from "../../commit/ContextStorage.js"
import type { PendingTimer } from "../../commit/Timers.js"
import type { Envelope } from "../../runtime/Envelope.js"
import * as SqlFailure from "./sqlFailure.js"

/**
 * Read-only views of one context's inbox and outbox for operators (backlog, stats, parked, pending, scheduled, where a
 * message stands), redrive of a parked message, and retention of what was handled long enough ago.
 */
export const make = (
  sql: SqlClient.SqlClient,
  options: { readonly host: string; readonly schema: string }
) => {
  const host = options.host
  const s = `"${options.schema}"`
  const failed = (operation: string) => (error: Error) => SqlFailure.persistence(operation, error)

  const backlog = sql
    .unsafe<{ n: string }>(
      `SELECT (SELECT count(*) FROM ${s}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL
                 AND (due_at IS NULL OR due_at <= now()))
            + (SELECT count(*) FROM ${s}.inbox WHERE processed_at IS NULL AND parked_at IS NULL) AS n`
    )
    .pipe(
      Effect.map((rows) => Number(rows[0]?.n ?? 0)),
      Effect.mapError(failed("backlog"))
    )

  const stats = sql
    .unsafe<{
      by_destination: Record<string, number> | null
      inbox_pending: string
      parked: string
      lag: string | null
      scheduled: string
      overdue: string
    }>(
      `SELECT
         (SELECT jsonb_object_agg(destination, n) FROM (
            SELECT destination, count(*) AS n FROM ${s}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL
              AND (due_at IS NULL OR due_at <= now())
            GROUP BY destination) d) AS by_destination,
         (SELECT count(*) FROM ${s}.inbox WHERE processed_at IS NULL AND parked_at IS NULL) AS inbox_pending,
         (SELECT count(*) FROM ${s}.inbox WHERE parked_at IS NOT NULL)
           + (SELECT count(*) FROM ${s}.outbox WHERE parked_at IS NOT NULL) AS parked,
         (SELECT extract(epoch FROM now() - min(received_at)) * 1000 FROM ${s}.inbox
            WHERE processed_at IS NULL AND parked_at IS NULL) AS lag,
         (SELECT count(*) FILTER (WHERE due_at > now()) FROM ${s}.outbox
            WHERE delivered_at IS NULL AND parked_at IS NULL AND due_at IS NOT NULL) AS scheduled,
         (SELECT count(*) FILTER (WHERE due_at <= now()) FROM ${s}.outbox
            WHERE delivered_at IS NULL AND parked_at IS NULL AND due_at IS NOT NULL) AS overdue`
    )
    .pipe(
      Effect.map((rows): BoxStats => {
        const row = rows[0]
        const byDestination = Object.fromEntries(
          Object.entries(row?.by_destination ?? {}).map(([destination, n]) => [destination, Number(n)])
        )
        return {
          host,
          outboxPending: Object.values(byDestination).reduce((a, b) => a + b, 0),
          outboxByDestination: byDestination,
          inboxPending: Number(row?.inbox_pending ?? 0),
          parked: Number(row?.parked ?? 0),
          lagMillis: Math.max(0, Math.round(Number(row?.lag ?? 0))),
          scheduled: Number(row?.scheduled ?? 0),
          overdue: Number(row?.overdue ?? 0)
        }
      }),
      Effect.mapError(failed("stats"))
    )

  const parked = sql
    .unsafe<BoxRow & { parked_at: Date }>(
      `SELECT 'inbox' AS box, message_id, type, key, attempts, last_error, parked_at FROM ${s}.inbox WHERE parked_at IS NOT NULL
       UNION ALL
       SELECT 'outbox' AS box, message_id, type, key, attempts, last_error, parked_at FROM ${s}.outbox WHERE parked_at IS NOT NULL
       ORDER BY parked_at`
    )
    .pipe(
      Effect.map((rows) =>
        rows.map(
          (row): ParkedMessage => ({ ...fromBoxRow(host, row), parkedAt: new Date(row.parked_at).getTime() })
        )
      ),
      Effect.mapError(failed("parked"))
    )

  const pending = (limit: number) =>
    sql
      .unsafe<BoxRow & { peer: string; since: Date }>(
        `(SELECT 'outbox' AS box, message_id, type, key, destination AS peer, attempts, last_error, created_at AS since
            FROM ${s}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL AND (due_at IS NULL OR due_at <= now())
            ORDER BY id LIMIT $1)
         UNION ALL
         (SELECT 'inbox' AS box, message_id, type, key, source AS peer, attempts, last_error, received_at AS since
            FROM ${s}.inbox WHERE processed_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT $1)`,
        [limit]
      )
      .pipe(
        Effect.map((rows) =>
          rows.map(
            (row): PendingMessage => ({
              ...fromBoxRow(host, row),
              peer: row.peer,
              since: new Date(row.since).getTime()
            })
          )
        ),
        Effect.mapError(failed("pending"))
      )

  const scheduled = (limit: number) =>
    sql
      .unsafe<{
        message_id: string
        destination: string
        type: string
        key: string
        due_at: Date
        causation_id: string
        correlation_id: string
      }>(
        `SELECT message_id, destination, type, key, due_at, envelope->>'causationId' AS causation_id,
           envelope->>'correlationId' AS correlation_id
         FROM ${s}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL AND due_at IS NOT NULL
         ORDER BY due_at, id LIMIT $1`,
        [limit]
      )
      .pipe(
        Effect.map((rows) =>
          rows.map(
            (row): PendingTimer => ({
              messageId: row.message_id,
              host,
              destination: row.destination,
              type: row.type,
              key: row.key,
              dueAt: new Date(row.due_at).getTime(),
              causationId: row.causation_id,
              correlationId: row.correlation_id
            })
          )
        ),
        Effect.mapError(failed("scheduled"))
      )

  const messageStatus = (messageId: string) =>
    sql
      .unsafe<{
        type: string
        key: string
        attempts: number
        last_error: string | null
        received_at: Date
        processed_at: Date | null
        parked_at: Date | null
      }>(
        `SELECT type, key, attempts, last_error, received_at, processed_at, parked_at
         FROM ${s}.inbox WHERE message_id = $1`,
        [messageId]
      )
      .pipe(
        Effect.map((rows) =>
          rows.map(
            (row): MessageStatus => ({
              host,
              messageId,
              type: row.type,
              key: row.key,
              status: row.processed_at !== null ? "processed" : row.parked_at !== null ? "parked" : "pending",
              attempts: row.attempts,
              lastError: row.last_error,
              receivedAt: new Date(row.received_at).getTime(),
              processedAt: row.processed_at === null ? null : new Date(row.processed_at).getTime()
            })
          )
        ),
        Effect.mapError(failed("message status"))
      )

  const redrive = (messageId: string) =>
    Effect.gen(function* () {
      const inbox = yield* sql.unsafe(
        `UPDATE ${s}.inbox SET parked_at = NULL, attempts = 0, last_error = NULL, available_at = now()
         WHERE message_id = $1 AND parked_at IS NOT NULL RETURNING 1`,
        [messageId]
      )
      const outbox = yield* sql.unsafe(
        `UPDATE ${s}.outbox SET parked_at = NULL, attempts = 0, last_error = NULL
         WHERE message_id = $1 AND parked_at IS NOT NULL RETURNING 1`,
        [messageId]
      )
      return inbox.length + outbox.length > 0
    }).pipe(Effect.mapError(failed("redrive")))

  // Small batches: never one long transaction holding locks on hot tables.
  const purgeTable = (table: "inbox" | "outbox", column: string, millis: number) =>
    Effect.gen(function* () {
      while (true) {
        const deleted = yield* sql.unsafe(
          `DELETE FROM ${s}.${table} WHERE id IN (SELECT id FROM ${s}.${table}
             WHERE ${column} < now() - ($1::text || ' milliseconds')::interval LIMIT 1000) RETURNING 1`,
          [String(millis)]
        )
        if (deleted.length < 1000) return
      }
    })
  const purge = (ages: { readonly inboxMillis: number; readonly outboxMillis: number }) =>
    Effect.zipRight(
      purgeTable("inbox", "processed_at", ages.inboxMillis),
      purgeTable("outbox", "delivered_at", ages.outboxMillis)
    ).pipe(Effect.mapError(failed("purge")))

  return { backlog, stats, parked, pending, scheduled, messageStatus, redrive, purge }
}

/** The columns of an audit row, as `toAuditEntry` reads them. */
export const auditColumns =
  "seq, key, message, events, commands, scheduled, cancelled, state_changed, version, committed_at"

/** One row of a context's audit table. */
export interface AuditRow {
  readonly seq: string
  readonly key: string
  readonly message: Envelope
  readonly events: ReadonlyArray<Envelope>
  readonly commands: ReadonlyArray<Envelope>
  readonly scheduled: ReadonlyArray<ScheduledEnvelope> | null
  readonly cancelled: ReadonlyArray<string> | null
  readonly state_changed: boolean
  readonly version: string
  readonly committed_at: Date
}

/** An audit row as the boundary's audit entry. */
export const toAuditEntry = (host: string, row: AuditRow): AuditEntry => ({
  seq: Number(row.seq),
  host,
  key: row.key,
  message: row.message,
  events: row.events,
  commands: row.commands,
  ...(row.scheduled === null ? {} : { scheduled: row.scheduled }),
  ...(row.cancelled === null ? {} : { cancelled: row.cancelled }),
  stateChanged: row.state_changed,
  version: Number(row.version),
  committedAt: new Date(row.committed_at).getTime()
})

/**
 * The audit log of one context's schema, in commit order, all of it or of some keys; `scheduled`/`cancelled` columns
 * included.
 */
export const auditQuery = (schema: string, keys: "all" | "one" | "some"): string =>
  `SELECT ${auditColumns} FROM "${schema}".audit ${
    keys === "all" ? "" : keys === "one" ? "WHERE key = $1" : "WHERE key = ANY($1::text[])"
  } ORDER BY seq`

// internal

/** The columns every inbox/outbox listing shares. */
interface BoxRow {
  readonly box: "inbox" | "outbox"
  readonly message_id: string
  readonly type: string
  readonly key: string
  readonly attempts: number
  readonly last_error: string | null
}

const fromBoxRow = (host: string, row: BoxRow) => ({
  host,
  box: row.box,
  messageId: row.message_id,
  type: row.type,
  key: row.key,
  attempts: row.attempts,
  lastError: row.last_error
})
