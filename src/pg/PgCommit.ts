import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Cause, Effect, Exit, Layer, Schema } from "effect"
import {
  type AuditEntry,
  CommitBoundary,
  type CommitReport,
  type CommitRequest,
  differenceOf,
  type Loaded,
  type MessageIdReused,
  messageIdReused,
  PersistenceError,
  SubmitRejected,
  VersionConflict
} from "../commit/CommitBoundary.js"
import * as Bus from "../commit/Bus.js"
import * as Faults from "../commit/Faults.js"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import type { Envelope } from "../runtime/Envelope.js"
import * as Batcher from "./internal/batcher.js"
import * as Dedicated from "./internal/dedicated.js"
import type * as Wakeups from "./internal/wakeups.js"
import { ident } from "./Migrations.js"
import type * as Topology from "./Topology.js"

/** Options of the durable boundary's write path. */
export interface PgCommitOptions {
  /** Every host of the deployment (routing is derived from all declarations, even hosts run elsewhere). */
  readonly topology: Topology.Topology
  /** Most handled messages written in one transaction. */
  readonly maxBatch?: number
  /**
   * Transactions in flight at once per host (default 1). Fewer writers make bigger batches (group commit); more
   * overlap the database's flushes. Measured here (2 cores, the writer lingering two scheduler turns for the rest
   * of a wave): 1 writer is fastest, up to 1.2x of 2 at 4 callers, as each statement costs CPU on both sides.
   */
  readonly writers?: number
  /**
   * Write each produced message straight into its destination's inbox in the commit's own transaction (through
   * the destination's `accept` function) when it lives in this database and nothing older of the same destination
   * and key waits in the outbox; only the rest goes to the outbox for the relay's mover. Default true: one
   * transaction and one hop less per message than the classic outbox relay (false), for about the same work.
   */
  readonly inlineRelay?: boolean
  /** Wakes this process's relay loops when a commit or submit wrote rows they move or deliver (internal/wakeups). */
  readonly wakeups?: Wakeups.Wakeups
}

/**
 * The durable commit boundary: one transaction writes a handled message's new state (with an optimistic
 * version check), its audit entry, its outbox rows and the inbox mark of the message it consumed.
 * Concurrent commits are grouped into one transaction (group commit); each keeps its own outcome.
 */
export const make = (options: PgCommitOptions) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const faults = yield* Faults.Faults
    const bus = yield* Bus.Bus
    const topology = options.topology
    const maxBatch = options.maxBatch ?? 64
    const writers = options.writers ?? 1
    const inlineRelay = options.inlineRelay ?? true
    // States this process committed last, so a key handled here twice in a row costs no read.
    // A stale entry (another process moved the key) surfaces as a version conflict and is dropped.
    const cache = new Map<string, Map<string, Loaded>>()
    const cacheOf = (host: string) => {
      let entries = cache.get(host)
      if (entries === undefined) {
        entries = new Map()
        cache.set(host, entries)
      }
      return entries
    }

    const persistence = (operation: string) => (error: SqlError | Error) =>
      new PersistenceError({ operation, message: messageOf(error) })

    const committers = new Map<
      string,
      (prepared: Prepared) => Effect.Effect<CommitReport, PersistenceError | VersionConflict>
    >()
    for (const host of topology.hosts) {
      const schema = topology.schemaOf(host.name)
      // Each writer keeps its own connection and runs the commit's precompiled text (see internal/dedicated).
      const connections = yield* Effect.forEach(Array.from({ length: writers }), () => Dedicated.make(sql))
      const quoted = ident(schema)
      const relayedText = `SELECT idx, outcome, new_version FROM ${quoted}.commit_batch_relayed($1::jsonb, $2)`
      const classicText = `SELECT idx, outcome, new_version FROM ${quoted}.commit_batch($1::jsonb)`
      const commitBatch = yield* Batcher.make<Prepared, CommitReport, PersistenceError | VersionConflict>(
        (prepared, worker) =>
          Effect.gen(function* () {
            const connection = connections[worker]!
            const batch = prepared.map((p) => p.request)
            // An injected save failure fails one commit, as a real one would, not the whole group.
            const saved = yield* Effect.forEach(prepared, () => Effect.exit(faults.check("save", host.name)))
            const writable = prepared.flatMap((_, i) => (Exit.isSuccess(saved[i]!) ? [i] : []))
            // An injected relay failure also stops the relay's first step inside the commit: rows stay in the outbox.
            const inline = inlineRelay && Exit.isSuccess(yield* Effect.exit(faults.check("relay", host.name)))
            const sentAt = performance.now()
            const write = (indices: ReadonlyArray<number>) => {
              const items = JSON.stringify(indices.map((i) => prepared[i]!.item))
              return connection
                .execute<OutcomeRow>(
                  inline ? relayedText : classicText,
                  inline ? [items, topology.schemaPrefix] : [items]
                )
                .pipe(
                  Effect.map((rows) => rows.map((row): Outcome => [indices[row.idx]!, row])),
                  Effect.catchAll((error) =>
                    Effect.succeed(indices.map((i): Outcome => [i, persistence("commit")(error)]))
                  )
                )
            }
            // The group is one transaction, so one commit that cannot be written (a constraint, a trigger, a
            // value the database refuses) fails all of it; then each is written alone, so only that one fails.
            const grouped = writable.length === 0 ? [] : yield* write(writable)
            const failed = writable.length > 1 && grouped.some(([, row]) => row instanceof PersistenceError)
            const outcomes = new Map(
              failed ? (yield* Effect.forEach(writable, (i) => write([i]))).flat() : grouped
            )
            const entries = cacheOf(host.name)
            const results = batch.map(
              (request, i): Exit.Exit<CommitReport, PersistenceError | VersionConflict> => {
                const injected = saved[i]!
                if (Exit.isFailure(injected))
                  return Exit.failCause(Cause.map(injected.cause, persistence("save")))
                const row = outcomes.get(i)
                if (row instanceof PersistenceError) return Exit.fail(row)
                if (row === undefined)
                  return Exit.fail(new PersistenceError({ operation: "commit", message: "no outcome" }))
                if (row.outcome === "conflict") {
                  entries.delete(request.key)
                  return Exit.fail(
                    new VersionConflict({
                      host: host.name,
                      key: request.key,
                      expected: request.expectedVersion
                    })
                  )
                }
                const version = Number(row.new_version ?? request.expectedVersion)
                if (row.outcome === "duplicate")
                  return Exit.succeed({ version, duplicate: true, failures: [] })
                if (request.state !== undefined)
                  remember(entries, request.key, { state: request.state, version })
                return Exit.succeed({ version, duplicate: false, failures: [] })
              }
            )
            if (options.wakeups !== undefined)
              signalCommitted(options.wakeups, topology, schema, prepared, results, inline, sentAt)
            // The same feed the memory boundary feeds: what each transaction committed (or dropped as a duplicate).
            if (bus.observed()) {
              for (let i = 0; i < batch.length; i++) {
                const result = results[i]!
                if (Exit.isFailure(result)) continue
                const request = batch[i]!
                const duplicate = result.value.duplicate
                yield* bus.observe({
                  _tag: "Committed",
                  host: host.name,
                  key: request.key,
                  consumed: request.consumed,
                  events: duplicate ? [] : request.events,
                  commands: duplicate ? [] : request.commands,
                  stateChanged: !duplicate && request.state !== undefined,
                  duplicate
                })
              }
            }
            return results
          }),
        { maxBatch, workers: writers }
      )
      committers.set(host.name, commitBatch)
    }

    const submitters = new Map<
      string,
      (envelope: Envelope) => Effect.Effect<void, PersistenceError | MessageIdReused>
    >()
    for (const host of topology.hosts) {
      const schema = topology.schemaOf(host.name)
      const wake = `inbox:${schema}`
      const connections = yield* Effect.forEach(Array.from({ length: submitWriters }), () =>
        Dedicated.make(sql)
      )
      const submitText = submitStatement(schema)
      const storedText = `SELECT message_id, type, key, envelope->'version' AS version, envelope->'payload' AS payload
        FROM ${ident(schema)}.inbox WHERE message_id = ANY($1)`
      const submitBatch = yield* Batcher.make<Envelope, void, PersistenceError | MessageIdReused>(
        (batch, worker) =>
          Effect.gen(function* () {
            const connection = connections[worker]!
            const sentAt = performance.now()
            let woken = false
            // A submit is idempotent by message id: a statement lost with its connection (a reset, a server restart)
            // is sent once more, on a fresh connection (the kept one retired itself), before anyone sees a failure.
            const write = (envelopes: ReadonlyArray<Envelope>) =>
              Effect.suspend(() => {
                const params = [JSON.stringify(envelopes), wake]
                return connection.execute<SubmitRow>(submitText, params).pipe(
                  Effect.catchIf(
                    (error) => !Dedicated.refused(error),
                    () =>
                      Effect.zipRight(
                        Dedicated.afterPendingIo,
                        connection.execute<SubmitRow>(submitText, params)
                      )
                  )
                )
              })
            // Rows of ids that were already received: compared with what is stored (read again when the statement's
            // snapshot could not see it: another transaction stored it meanwhile).
            const outcomesOf = (envelopes: ReadonlyArray<Envelope>, rows: ReadonlyArray<SubmitRow>) =>
              Effect.gen(function* () {
                const outcomes: Array<Exit.Exit<void, PersistenceError | MessageIdReused>> = envelopes.map(
                  () => Exit.void
                )
                const unseen: Array<number> = []
                for (const row of rows) {
                  if (row.idx < 0) woken = true
                  else if (row.message_id === null) unseen.push(row.idx)
                  else outcomes[row.idx] = compared(host.name, envelopes[row.idx]!, row)
                }
                if (unseen.length > 0) {
                  const stored = yield* sql
                    .unsafe<SubmitRow>(storedText, [unseen.map((i) => envelopes[i]!.messageId)])
                    .pipe(Effect.mapError(persistence("submit")))
                  for (const i of unseen) {
                    const row = stored.find((r) => r.message_id === envelopes[i]!.messageId)
                    if (row !== undefined) outcomes[i] = compared(host.name, envelopes[i]!, row)
                  }
                }
                return outcomes
              })
            // The same id twice in one batch: the first is written, a later one shares its outcome if it is the same
            // message and is refused if it is not.
            const firstOf = new Map<string, number>()
            const unique: Array<Envelope> = []
            const slot = batch.map((envelope) => {
              const known = firstOf.get(envelope.messageId)
              if (known !== undefined) return known
              firstOf.set(envelope.messageId, unique.length)
              unique.push(envelope)
              return unique.length - 1
            })
            const grouped = yield* Effect.either(write(unique))
            let outcomes: ReadonlyArray<Exit.Exit<void, PersistenceError | MessageIdReused>>
            if (grouped._tag === "Right") outcomes = yield* outcomesOf(unique, grouped.right)
            else if (unique.length > 1 && Dedicated.refused(grouped.left)) {
              // The batch is one statement, so one message the database refuses (a value, a constraint, a trigger)
              // fails all of it; then each is written alone, so only that one fails.
              outcomes = yield* Effect.forEach(unique, (envelope) =>
                Effect.either(write([envelope])).pipe(
                  Effect.flatMap((alone) =>
                    alone._tag === "Right"
                      ? Effect.map(outcomesOf([envelope], alone.right), (exits) => exits[0]!)
                      : Effect.succeed(Exit.fail(persistence("submit")(alone.left)))
                  )
                )
              )
            } else outcomes = unique.map(() => Exit.fail(persistence("submit")(grouped.left)))
            if (woken) options.wakeups?.committed(wake, sentAt)
            return batch.map((envelope, i) => {
              const outcome = outcomes[slot[i]!]!
              const first = unique[slot[i]!]!
              if (first === envelope) return outcome
              const difference = differenceOf(first, envelope)
              return difference === undefined
                ? outcome
                : Exit.fail(messageIdReused(host.name, envelope.messageId, difference))
            })
          }),
        { maxBatch: 256, workers: submitWriters }
      )
      submitters.set(host.name, submitBatch)
    }

    const schemaFor = (host: string) => ident(topology.schemaOf(host))

    const read = (
      host: AnyHostDefinition,
      key: string
    ): Effect.Effect<Loaded | undefined, PersistenceError> => {
      const decode = Schema.decodeUnknown(host.state)
      return sql<{ version: string; state: unknown }>`
        SELECT version, state FROM ${sql(topology.schemaOf(host.name))}.state WHERE key = ${key}`.pipe(
        onceMoreIfLost,
        Effect.mapError(persistence("load")),
        Effect.flatMap((rows) => {
          const row = rows[0]
          if (row === undefined) return Effect.succeed(undefined)
          return Effect.map(
            Effect.mapError(
              decode(row.state),
              (error) =>
                new PersistenceError({
                  operation: "load",
                  message: `stored state of ${host.name}/${key} does not decode: ${error.message}`
                })
            ),
            (state): Loaded => ({ state, version: Number(row.version) })
          )
        })
      )
    }

    return CommitBoundary.of({
      kind: "postgres",
      submit: (host, envelope) => {
        const submit = submitters.get(host)
        return submit === undefined
          ? Effect.fail(
              new SubmitRejected({ host, messageId: envelope.messageId, reason: `no host named "${host}"` })
            )
          : submit(envelope)
      },
      // Handling may start from this process's last commit of the key (the version check catches a stale one);
      // queries must not: another process may have moved the key since.
      load: (host, key) => {
        const cached = cache.get(host.name)?.get(key)
        return cached !== undefined ? Effect.succeed(cached) : read(host, key)
      },
      read,
      commit: (request) => {
        const commit = committers.get(request.host.name)
        return commit === undefined
          ? Effect.fail(
              new PersistenceError({
                operation: "commit",
                message: `host ${request.host.name} is not in the topology`
              })
            )
          : Effect.suspend(() => commit({ request, item: toItem(topology, request) }))
      },
      keys: (host) =>
        sql<{ key: string }>`SELECT key FROM ${sql(topology.schemaOf(host.name))}.state ORDER BY key`.pipe(
          onceMoreIfLost,
          Effect.map((rows) => rows.map((row) => row.key)),
          Effect.mapError(persistence("keys"))
        ),
      audit: (host, key) =>
        sql
          .unsafe<AuditRow>(
            `SELECT seq, key, message, events, commands, state_changed, version, committed_at FROM ${schemaFor(host)}.audit
             ${key === undefined ? "" : "WHERE key = $1"} ORDER BY seq`,
            key === undefined ? [] : [key]
          )
          .pipe(
            onceMoreIfLost,
            Effect.map((rows) => rows.map((row) => toAuditEntry(host, row))),
            Effect.mapError(persistence("audit"))
          ),
      // One statement, so one snapshot: counted per host in separate statements, a row moving from one
      // host's outbox to another's inbox between the two counts would be missed and settle would stop early.
      backlog: sql
        .unsafe<{ n: string }>(
          `SELECT ${topology.hosts
            .map((host) => {
              const s = schemaFor(host.name)
              return `(SELECT count(*) FROM ${s}.outbox WHERE delivered_at IS NULL AND parked_at IS NULL)
                    + (SELECT count(*) FROM ${s}.inbox WHERE processed_at IS NULL AND parked_at IS NULL)`
            })
            .join(" + ")} AS n`
        )
        .pipe(
          Effect.map((rows) => Number(rows[0]?.n ?? 0)),
          Effect.mapError(persistence("backlog"))
        )
    })
  })

/** The durable boundary as a layer (needs a SqlClient, the bus for its observation feed, and the fault injector). */
export const layer = (
  options: PgCommitOptions
): Layer.Layer<CommitBoundary, never, SqlClient.SqlClient | Faults.Faults | Bus.Bus> =>
  Layer.scoped(CommitBoundary, make(options))

// internal

/** Signals the local relay: the host's outbox has new rows (and, inline, their destinations' inboxes do). */
const signalCommitted = (
  wakeups: Wakeups.Wakeups,
  topology: Topology.Topology,
  schema: string,
  prepared: ReadonlyArray<Prepared>,
  results: ReadonlyArray<Exit.Exit<CommitReport, unknown>>,
  inline: boolean,
  sentAt: number
) => {
  const destinations = new Set<string>()
  for (let i = 0; i < prepared.length; i++) {
    const result = results[i]!
    if (Exit.isFailure(result) || result.value.duplicate) continue
    for (const row of prepared[i]!.item.outbox) destinations.add(row.destination)
  }
  if (destinations.size === 0) return
  // Inline, the rows are in their destinations' inboxes already (a row left behind NOTIFYs the outbox itself).
  if (!inline) wakeups.committed(`outbox:${schema}`, sentAt)
  else
    for (const destination of destinations)
      wakeups.committed(`inbox:${topology.schemaOf(destination)}`, sentAt)
}

/**
 * The front door's statement: a batch of envelopes into the host's inbox, each id once (ON CONFLICT keeps what is
 * there), one NOTIFY when anything was new. It answers a row `idx = -1` for that NOTIFY, and a row per envelope whose
 * id was already taken by a message that is not the same (type, version, key, payload) or that this statement's
 * snapshot cannot see (stored by a transaction that committed meanwhile: read again); usually no row at all.
 */
const submitStatement = (schema: string) => {
  const inbox = `${ident(schema)}.inbox`
  return `
    WITH input AS (
      SELECT e, n FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
    ), inserted AS (
      INSERT INTO ${inbox} (message_id, key, type, envelope, source)
      SELECT e->>'messageId', e->>'key', e->>'type', e, 'external' FROM input ORDER BY n
      ON CONFLICT (message_id) DO NOTHING
      RETURNING message_id
    ), woken AS (
      SELECT pg_notify('mailroom', $2) FROM (SELECT 1 FROM inserted LIMIT 1) one
    )
    SELECT -1 AS idx, NULL::text AS message_id, NULL::text AS type, NULL::text AS key, NULL::jsonb AS version,
      NULL::jsonb AS payload FROM woken
    UNION ALL
    SELECT (i.n - 1)::integer, b.message_id, b.type, b.key, b.envelope->'version', b.envelope->'payload'
    FROM input i LEFT JOIN ${inbox} b ON b.message_id = i.e->>'messageId'
    WHERE NOT EXISTS (SELECT 1 FROM inserted x WHERE x.message_id = i.e->>'messageId')
      AND (b.message_id IS NULL OR b.type IS DISTINCT FROM i.e->>'type' OR b.key IS DISTINCT FROM i.e->>'key'
        OR b.envelope->'version' IS DISTINCT FROM i.e->'version'
        OR b.envelope->'payload' IS DISTINCT FROM i.e->'payload')`
}

/** A row of the submit statement (or of the read of stored messages): see `submitStatement`. */
interface SubmitRow {
  readonly idx: number
  readonly message_id: string | null
  readonly type: string | null
  readonly key: string | null
  readonly version: number | null
  readonly payload: unknown
}

/** A submitted envelope against the message stored under its id: the same message (accepted again), or a reuse. */
const compared = (host: string, envelope: Envelope, stored: SubmitRow): Exit.Exit<void, MessageIdReused> => {
  const difference = differenceOf(
    {
      type: stored.type ?? "",
      version: Number(stored.version),
      key: stored.key ?? "",
      payload: stored.payload
    },
    envelope
  )
  return difference === undefined
    ? Exit.void
    : Exit.fail(messageIdReused(host, envelope.messageId, difference))
}

/**
 * A read is sent once more when its connection was lost (a reset, a server restart), not when the database refused
 * it. It goes after the I/O events already received, so the pool has noticed the other connections that ended too
 * and the read gets one that works.
 */
const onceMoreIfLost = <A, R>(effect: Effect.Effect<A, SqlError, R>): Effect.Effect<A, SqlError, R> =>
  Effect.catchIf(
    effect,
    (error) => !Dedicated.refused(error),
    () => Effect.zipRight(Dedicated.afterPendingIo, effect)
  )

/** Submit (front door) transactions in flight at once per host, each on its own kept connection. */
export const submitWriters = 2

/**
 * Connections the boundary may keep for itself (internal/dedicated), at most: each host's commit writers and
 * submit writers, reserved on first use. The pool needs more than this, for everything else.
 */
export const keptConnections = (options: { readonly hosts: number; readonly writers?: number }) =>
  options.hosts * ((options.writers ?? 1) + submitWriters)

/** Most states kept per host in the write cache; the least recently committed are forgotten first. */
const cacheLimit = 10_000

const remember = (entries: Map<string, Loaded>, key: string, loaded: Loaded) => {
  entries.delete(key)
  entries.set(key, loaded)
  if (entries.size > cacheLimit) {
    const oldest = entries.keys().next()
    if (!oldest.done) entries.delete(oldest.value)
  }
}

interface OutcomeRow {
  readonly idx: number
  readonly outcome: string
  readonly new_version: string | number | null
}

/** What became of the commit at one index of a group: its row from commit_batch, or why it was not written. */
type Outcome = readonly [number, OutcomeRow | PersistenceError]

interface Prepared {
  readonly request: CommitRequest
  readonly item: ReturnType<typeof toItem>
}

interface AuditRow {
  readonly seq: string
  readonly key: string
  readonly message: Envelope
  readonly events: ReadonlyArray<Envelope>
  readonly commands: ReadonlyArray<Envelope>
  readonly state_changed: boolean
  readonly version: string
  readonly committed_at: Date
}

const toAuditEntry = (host: string, row: AuditRow): AuditEntry => ({
  seq: Number(row.seq),
  host,
  key: row.key,
  message: row.message,
  events: row.events,
  commands: row.commands,
  stateChanged: row.state_changed,
  version: Number(row.version),
  committedAt: new Date(row.committed_at).getTime()
})

const toItem = (topology: Topology.Topology, request: CommitRequest) => {
  const outbox: Array<{
    destination: string
    key: string
    message_id: string
    type: string
    envelope: Envelope
  }> = []
  for (const envelope of request.events) {
    for (const destination of topology.consumersOf(envelope.type)) {
      outbox.push({
        destination,
        key: envelope.key,
        message_id: envelope.messageId,
        type: envelope.type,
        envelope
      })
    }
  }
  for (const envelope of request.commands) {
    const consumers = topology.consumersOf(envelope.type)
    if (consumers.length !== 1) {
      // The topology is validated at start; reaching this is a bug, so it is a defect (supervision parks it).
      throw new Error(`command ${envelope.type} has ${consumers.length} consumers; exactly one is required`)
    }
    outbox.push({
      destination: consumers[0]!,
      key: envelope.key,
      message_id: envelope.messageId,
      type: envelope.type,
      envelope
    })
  }
  const encoded =
    request.state === undefined ? undefined : Schema.encodeSync(request.host.state)(request.state)
  return {
    key: request.key,
    message_id: request.consumed.messageId,
    expected: request.expectedVersion,
    ...(encoded === undefined ? {} : { state: encoded }),
    message: request.consumed,
    events: request.events,
    commands: request.commands,
    outbox
  }
}

const messageOf = (error: SqlError | Error): string => {
  const cause = (error as { cause?: unknown }).cause
  const detail = cause instanceof Error ? cause.message : ""
  return detail === "" || error.message.includes(detail) ? error.message : `${error.message}: ${detail}`
}
