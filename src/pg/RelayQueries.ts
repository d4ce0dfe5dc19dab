import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { ident } from "./Migrations.js"
import type * as Topology from "./Topology.js"

/** A message the relay gave up on, with why. */
export interface ParkedRow {
  readonly host: string
  readonly box: "inbox" | "outbox"
  readonly messageId: string
  readonly type: string
  readonly key: string
  readonly attempts: number
  readonly lastError: string | null
  readonly parkedAt: number
}

/** Where one message stands in a host's inbox. */
export interface MessageStatus {
  readonly host: string
  readonly messageId: string
  readonly type: string
  readonly key: string
  readonly status: "pending" | "processed" | "parked"
  readonly attempts: number
  readonly lastError: string | null
  readonly receivedAt: number
  readonly processedAt: number | null
}

/** A message not yet handed on: committed in an outbox, or waiting in an inbox. */
export interface PendingRow {
  readonly host: string
  readonly box: "inbox" | "outbox"
  readonly messageId: string
  readonly type: string
  readonly key: string
  /** Destination host (outbox rows) or source (inbox rows: a host name, "external" or "direct"). */
  readonly peer: string
  readonly attempts: number
  readonly lastError: string | null
  readonly since: number
}

/** Per-host delivery figures. */
export interface RelayStats {
  readonly host: string
  /** Committed messages not yet in their destination's inbox. */
  readonly outboxPending: number
  /** Messages in this host's inbox not yet processed. */
  readonly inboxPending: number
  readonly parked: number
  /** Age of the oldest unprocessed inbox message, in milliseconds (0 when none). */
  readonly lagMillis: number
}

/** Read-only views of every host's outbox and inbox, for operators (stats, parked, pending, message status). */
export const make = (sql: SqlClient.SqlClient, topology: Topology.Topology) => {
  const stats = Effect.forEach(topology.hosts, (host) => {
    const schema = ident(topology.schemaOf(host.name))
    return sql
      .unsafe<{ outbox_pending: string; inbox_pending: string; parked: string; lag: string | null }>(
        `SELECT
           (SELECT count(*) FROM ${schema}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL) AS outbox_pending,
           (SELECT count(*) FROM ${schema}.inbox WHERE processed_at IS NULL AND parked_at IS NULL) AS inbox_pending,
           (SELECT count(*) FROM ${schema}.inbox WHERE parked_at IS NOT NULL)
             + (SELECT count(*) FROM ${schema}.outbox WHERE parked_at IS NOT NULL) AS parked,
           (SELECT extract(epoch FROM now() - min(received_at)) * 1000 FROM ${schema}.inbox
              WHERE processed_at IS NULL AND parked_at IS NULL) AS lag`
      )
      .pipe(
        Effect.map((rows): RelayStats => {
          const row = rows[0]
          return {
            host: host.name,
            outboxPending: Number(row?.outbox_pending ?? 0),
            inboxPending: Number(row?.inbox_pending ?? 0),
            parked: Number(row?.parked ?? 0),
            lagMillis: Math.max(0, Math.round(Number(row?.lag ?? 0)))
          }
        })
      )
  })

  // Runs one query per host schema and concatenates the rows, each tagged with its host.
  const perHost = <A>(query: (host: string, schema: string) => Effect.Effect<ReadonlyArray<A>, unknown>) =>
    Effect.map(
      Effect.forEach(topology.hosts, (host) => query(host.name, ident(topology.schemaOf(host.name)))),
      (lists) => lists.flat()
    )

  const parked = perHost((host, schema) =>
    Effect.map(
      sql.unsafe<BoxRow & { parked_at: Date }>(
        `SELECT 'inbox' AS box, message_id, type, key, attempts, last_error, parked_at FROM ${schema}.inbox WHERE parked_at IS NOT NULL
         UNION ALL
         SELECT 'outbox' AS box, message_id, type, key, attempts, last_error, parked_at FROM ${schema}.outbox WHERE parked_at IS NOT NULL
         ORDER BY parked_at`
      ),
      (rows) =>
        rows.map(
          (row): ParkedRow => ({ ...fromBoxRow(host, row), parkedAt: new Date(row.parked_at).getTime() })
        )
    )
  )

  const pending = (limit: number) =>
    perHost((host, schema) =>
      Effect.map(
        sql.unsafe<BoxRow & { peer: string; since: Date }>(
          `(SELECT 'outbox' AS box, message_id, type, key, destination AS peer, attempts, last_error, created_at AS since
              FROM ${schema}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT $1)
           UNION ALL
           (SELECT 'inbox' AS box, message_id, type, key, source AS peer, attempts, last_error, received_at AS since
              FROM ${schema}.inbox WHERE processed_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT $1)`,
          [limit]
        ),
        (rows) =>
          rows.map(
            (row): PendingRow => ({
              ...fromBoxRow(host, row),
              peer: row.peer,
              since: new Date(row.since).getTime()
            })
          )
      )
    )

  const messageStatus = (messageId: string) =>
    perHost((host, schema) =>
      Effect.map(
        sql.unsafe<{
          type: string
          key: string
          attempts: number
          last_error: string | null
          received_at: Date
          processed_at: Date | null
          parked_at: Date | null
        }>(
          `SELECT type, key, attempts, last_error, received_at, processed_at, parked_at
           FROM ${schema}.inbox WHERE message_id = $1`,
          [messageId]
        ),
        (rows) =>
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
      )
    )

  return { stats, parked, pending, messageStatus }
}

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
