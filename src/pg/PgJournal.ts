import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer, Schema, type Scope } from "effect"
import { PersistenceError } from "../commit/CommitBoundary.js"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import type { BoxRow, HostStatus, Parked, Records, ReplayInputs } from "../operate/Journal.js"
import { Journal } from "../operate/Journal.js"
import type { Envelope } from "../runtime/Envelope.js"
import * as Databases from "./internal/databases.js"
import * as Notifications from "./internal/notifications.js"
import * as SqlFailure from "./internal/sqlFailure.js"
import * as Views from "./internal/views.js"
import * as Placement from "./Placement.js"

/** Where to read a deployment: its hosts, where each host's tables live, and the schema prefix. */
export interface PgJournalOptions {
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  readonly placement: Placement.Placement
  readonly schemaPrefix?: string
  /** Connections per database (default 4): the journal only reads, and redrives. */
  readonly maxConnections?: number
  readonly applicationName?: string
}

/**
 * The operator's journal of a deployment on PostgreSQL: reads each context's audit log, inbox and outbox in its own
 * schema on its own database, and redrives parked rows. It runs no host and no relay and migrates nothing, so it can
 * look at a deployment while it runs, or after it stopped.
 */
export const make = (options: PgJournalOptions): Effect.Effect<Journal["Type"], never, Scope.Scope> =>
  Effect.gen(function* () {
    const names = options.hosts.map((host) => host.name)
    const missing = Placement.unplaced(options.placement, names)
    if (missing.length > 0) return yield* Effect.dieMessage(`no database for ${missing.join(", ")}`)
    const databases = yield* Effect.orDie(
      Databases.fromPlacement(
        options.placement,
        names,
        () => options.maxConnections ?? 4,
        options.applicationName ?? "mailroom operator"
      )
    )
    const prefix = options.schemaPrefix ?? ""
    const contexts = databases.flatMap((database) =>
      database.hosts.map((host) => contextOf(database.client, host, `${prefix}${host}`, database.location))
    )
    const each = <A>(f: (context: Context) => Effect.Effect<ReadonlyArray<A>, PersistenceError>) =>
      Effect.map(Effect.forEach(contexts, f, { concurrency: "unbounded" }), (lists) => lists.flat())

    return Journal.of({
      kind: "postgres",
      hosts: options.hosts,
      locations: Object.fromEntries(contexts.map((c) => [c.host, `${c.location}, schema ${c.schema}`])),
      status: ({ overdueAfterMillis }) =>
        Effect.forEach(contexts, (c) => c.status(overdueAfterMillis), { concurrency: "unbounded" }),
      parked: each((c) => c.parked),
      pending: (limit) => each((c) => c.pending(limit)),
      redrive: (id) =>
        Effect.map(
          Effect.forEach(contexts, (c) => c.redrive(id)),
          (found) => found.some(Boolean)
        ),
      locate: (messageId) =>
        Effect.gen(function* () {
          for (const c of contexts) {
            const found = yield* c.locate(messageId)
            if (found !== undefined) return found
          }
          return undefined
        }),
      flow: (correlationId) =>
        Effect.map(
          Effect.forEach(contexts, (c) => c.flow(correlationId), { concurrency: "unbounded" }),
          merge
        ),
      replayInputs: (host, keys) => {
        const definition = options.hosts.find((h) => h.name === host)
        const context = contexts.find((c) => c.host === host)
        return definition === undefined || context === undefined
          ? Effect.fail(new PersistenceError({ operation: "replay", message: `no host ${host}` }))
          : context.replayInputs(definition, keys)
      },
      recent: (limit) =>
        Effect.map(
          Effect.forEach(contexts, (c) => c.recent(limit), { concurrency: "unbounded" }),
          merge
        )
    })
  })

/** The journal as a layer (its connections close with the layer). */
export const layer = (options: PgJournalOptions): Layer.Layer<Journal> => Layer.scoped(Journal, make(options))

// internal

type Context = ReturnType<typeof contextOf>

const merge = (records: ReadonlyArray<Records>): Records => ({
  audit: records.flatMap((r) => r.audit),
  rows: records.flatMap((r) => r.rows)
})

interface Row {
  readonly box: "inbox" | "outbox"
  readonly envelope: Envelope
  readonly peer: string
  readonly attempts: number
  readonly last_error: string | null
  readonly stored_at: Date
  readonly due_at: Date | null
  readonly done_at: Date | null
  readonly parked_at: Date | null
}

const time = (value: Date | null) => (value === null ? null : new Date(value).getTime())

const contextOf = (sql: SqlClient.SqlClient, host: string, schema: string, location: string) => {
  const s = `"${schema}"`
  const views = Views.make(sql, { host, schema })
  const failed = (operation: string) => (error: SqlError | Error) =>
    SqlFailure.persistence(`${operation} (${host})`, error)
  const inboxColumns = `'inbox' AS box, envelope, source AS peer, attempts, last_error, received_at AS stored_at,
    CASE WHEN available_at > received_at THEN available_at END AS due_at, processed_at AS done_at, parked_at`
  const outboxColumns = `'outbox' AS box, envelope, destination AS peer, attempts, last_error, created_at AS stored_at,
    due_at, delivered_at AS done_at, parked_at`

  const toRow = (row: Row): BoxRow => ({
    host,
    box: row.box,
    envelope: row.envelope,
    peer: row.peer,
    attempts: row.attempts,
    lastError: row.last_error,
    storedAt: new Date(row.stored_at).getTime(),
    dueAt: time(row.due_at),
    doneAt: time(row.done_at),
    parkedAt: time(row.parked_at)
  })

  const rows = (where: string, params: ReadonlyArray<unknown>, operation: string) =>
    sql
      .unsafe<Row>(
        `(SELECT ${inboxColumns} FROM ${s}.inbox WHERE ${where} ORDER BY id)
         UNION ALL
         (SELECT ${outboxColumns} FROM ${s}.outbox WHERE ${where} ORDER BY id)`,
        params as Array<unknown>
      )
      .pipe(
        Effect.map((list) => list.map(toRow)),
        Effect.mapError(failed(operation))
      )

  const status = (overdueAfterMillis: number): Effect.Effect<HostStatus> =>
    Effect.gen(function* () {
      const stats = yield* views.stats
      // An outbox row is due when it was committed, or at its due time when it is a timer.
      const overdue = yield* sql
        .unsafe<{ n: string }>(
          `SELECT (SELECT count(*) FROM ${s}.inbox WHERE processed_at IS NULL AND parked_at IS NULL
                     AND available_at < now() - ($1::text || ' milliseconds')::interval)
                + (SELECT count(*) FROM ${s}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL
                     AND coalesce(due_at, created_at) < now() - ($1::text || ' milliseconds')::interval) AS n`,
          [String(overdueAfterMillis)]
        )
        .pipe(Effect.mapError(failed("overdue")))
      return {
        host,
        location: `${location}, schema ${schema}`,
        backlog: stats.outboxPending + stats.inboxPending,
        outboxPending: stats.outboxPending,
        outboxByDestination: stats.outboxByDestination,
        inboxPending: stats.inboxPending,
        lagMillis: stats.lagMillis,
        parked: stats.parked,
        overdue: Number(overdue[0]?.n ?? 0),
        timersScheduled: stats.scheduled,
        timersOverdue: stats.overdue
      } satisfies HostStatus
    }).pipe(
      Effect.catchAll((error) =>
        Effect.succeed<HostStatus>({
          host,
          location: `${location}, schema ${schema}`,
          backlog: 0,
          outboxPending: 0,
          outboxByDestination: {},
          inboxPending: 0,
          lagMillis: 0,
          parked: 0,
          overdue: 0,
          timersScheduled: 0,
          timersOverdue: 0,
          unreachable: /does not exist/.test(error.message)
            ? `schema ${schema} is not migrated yet (mailroom migrate, or start a host)`
            : error.message
        })
      )
    )

  const parked = rows("parked_at IS NOT NULL", [], "parked").pipe(
    Effect.map((list) =>
      list.map(
        (row): Parked => ({
          host,
          where: row.box as "inbox" | "outbox",
          id: row.envelope.messageId,
          messageId: row.envelope.messageId,
          correlationId: row.envelope.correlationId,
          type: row.envelope.type,
          key: row.envelope.key,
          attempts: row.attempts,
          reason: row.lastError ?? "",
          parkedAt: row.parkedAt ?? row.storedAt
        })
      )
    )
  )

  const pending = (limit: number) =>
    sql
      .unsafe<Row>(
        `(SELECT ${inboxColumns} FROM ${s}.inbox WHERE processed_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT $1)
         UNION ALL
         (SELECT ${outboxColumns} FROM ${s}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT $1)`,
        [limit]
      )
      .pipe(
        Effect.map((list) => list.map(toRow)),
        Effect.mapError(failed("pending"))
      )

  // A redriven row is due now; the NOTIFY wakes the relays listening on this database at once.
  const redrive = (messageId: string) =>
    Effect.gen(function* () {
      const found = yield* views.redrive(messageId)
      if (found)
        yield* Effect.forEach(["inbox", "outbox"] as const, (box) =>
          sql.unsafe(`SELECT pg_notify($1, $2)`, [Notifications.channel, Notifications.payload(box, schema)])
        ).pipe(Effect.mapError(failed("redrive")))
      return found
    })

  const locate = (messageId: string) =>
    Effect.gen(function* () {
      const boxed = yield* sql
        .unsafe<{ correlation_id: string }>(
          `SELECT envelope->>'correlationId' AS correlation_id FROM ${s}.inbox WHERE message_id = $1
           UNION ALL
           SELECT envelope->>'correlationId' FROM ${s}.outbox WHERE message_id = $1 LIMIT 1`,
          [messageId]
        )
        .pipe(Effect.mapError(failed("locate")))
      if (boxed[0] !== undefined) return boxed[0].correlation_id
      // Not in a box (its rows expired, or it was never delivered): the audit log, handled or produced here.
      const logged = yield* sql
        .unsafe<{ correlation_id: string }>(
          `SELECT message->>'correlationId' AS correlation_id FROM ${s}.audit
           WHERE message_id = $1 OR events @> $2::jsonb OR commands @> $2::jsonb LIMIT 1`,
          [messageId, JSON.stringify([{ messageId }])]
        )
        .pipe(Effect.mapError(failed("locate")))
      return logged[0]?.correlation_id
    })

  const flow = (correlationId: string) =>
    Effect.gen(function* () {
      const audit = yield* sql
        .unsafe<Views.AuditRow>(
          `SELECT ${Views.auditColumns} FROM ${s}.audit WHERE message->>'correlationId' = $1 ORDER BY seq`,
          [correlationId]
        )
        .pipe(Effect.mapError(failed("flow")))
      const boxed = yield* rows(`envelope->>'correlationId' = $1`, [correlationId], "flow")
      return { audit: audit.map((row) => Views.toAuditEntry(host, row)), rows: boxed } satisfies Records
    })

  const recent = (limit: number) =>
    Effect.gen(function* () {
      const audit = yield* sql
        .unsafe<Views.AuditRow>(`SELECT ${Views.auditColumns} FROM ${s}.audit ORDER BY seq DESC LIMIT $1`, [
          limit
        ])
        .pipe(Effect.mapError(failed("recent")))
      const waiting = yield* sql
        .unsafe<Row>(
          `(SELECT ${inboxColumns} FROM ${s}.inbox WHERE processed_at IS NULL ORDER BY id LIMIT $1)
           UNION ALL
           (SELECT ${outboxColumns} FROM ${s}.outbox WHERE delivered_at IS NULL ORDER BY id LIMIT $1)`,
          [limit]
        )
        .pipe(
          Effect.map((list) => list.map(toRow)),
          Effect.mapError(failed("recent"))
        )
      return {
        audit: [...audit].reverse().map((row) => Views.toAuditEntry(host, row)),
        rows: waiting
      } satisfies Records
    })

  // Reads this context's own schema only: its audit log (as the storage reads it) and its states.
  const replayInputs = (definition: AnyHostDefinition, keys: ReadonlyArray<string> | undefined) =>
    Effect.gen(function* () {
      const some = keys === undefined ? [] : [keys]
      const audit = yield* sql
        .unsafe<Views.AuditRow>(Views.auditQuery(schema, keys === undefined ? "all" : "some"), some)
        .pipe(
          Effect.map((list) => list.map((row) => Views.toAuditEntry(host, row))),
          Effect.mapError(failed("replay audit"))
        )
      const states = yield* sql
        .unsafe<{ key: string; state: unknown }>(
          `SELECT key, state FROM ${s}.state ${keys === undefined ? "" : "WHERE key = ANY($1::text[])"} ORDER BY key`,
          some
        )
        .pipe(Effect.mapError(failed("replay states")))
      const decode = Schema.decodeUnknown(definition.state)
      const stored = new Map<string, unknown>(keys?.map((key) => [key, undefined]))
      for (const row of states)
        stored.set(
          row.key,
          yield* decode(row.state).pipe(
            Effect.mapError((error) =>
              failed("replay states")(
                new Error(`stored state of ${host}/${row.key} does not decode: ${error.message}`)
              )
            )
          )
        )
      return { audit, stored } satisfies ReplayInputs
    })

  return { host, schema, location, status, parked, pending, redrive, locate, flow, recent, replayInputs }
}
