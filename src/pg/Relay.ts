import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import {
  Metric,
  Cause,
  Context,
  Duration,
  Effect,
  Exit,
  Layer,
  Random,
  Schedule,
  Schema,
  type Scope,
  Stream
} from "effect"
import * as Bus from "../commit/Bus.js"
import * as Faults from "../commit/Faults.js"
import * as Tracing from "../commit/Tracing.js"
import type { Envelope } from "../runtime/Envelope.js"
import * as Dedicated from "./internal/dedicated.js"
import * as Doorbell from "./internal/doorbell.js"
import * as Wakeups from "./internal/wakeups.js"
import { ident } from "./Migrations.js"
import * as RelayQueries from "./RelayQueries.js"
import type { MessageStatus, ParkedRow, PendingRow, RelayStats } from "./RelayQueries.js"
import type * as Topology from "./Topology.js"

/** The NOTIFY channel of every Mailroom wake-up; payloads are "outbox:<schema>" and "inbox:<schema>". */
export const channel = "mailroom"

/** Settings of the relay: how it is woken, how it retries, when it parks and what it keeps. */
export interface RelayOptions {
  readonly topology: Topology.Topology
  /** Hosts whose actors run in this process: the relay feeds their inboxes and moves their outboxes. */
  readonly local: ReadonlyArray<string>
  /** Longest wait when no notification arrives (a lost notification costs at most this). */
  readonly pollInterval?: Duration.DurationInput
  /** Wake at once on commit: LISTEN/NOTIFY across processes, direct within one (false = poll only). */
  readonly listen?: boolean
  /** Delivery attempts before a message is parked. */
  readonly maxAttempts?: number
  /** First retry delay; doubles per attempt (with jitter) up to `maxBackoff`. */
  readonly backoff?: Duration.DurationInput
  readonly maxBackoff?: Duration.DurationInput
  /** Concurrent delivery workers per local host (they never take the same key at once). */
  readonly workers?: number
  /** Run the loops that move the local hosts' outboxes into destination inboxes (default true). */
  readonly move?: boolean
  /** Run the loops that feed the local hosts' inboxes to their actors (default true). */
  readonly deliver?: boolean
  /** How long processed inbox marks are kept for deduplication. */
  readonly inboxRetention?: Duration.DurationInput
  /** How long delivered outbox rows are kept. */
  readonly outboxRetention?: Duration.DurationInput
  readonly cleanupInterval?: Duration.DurationInput
  /** How often backlog, lag and parked gauges are refreshed. */
  readonly metricsInterval?: Duration.DurationInput
  /** Commits of this process wake the loops directly, without waiting for their NOTIFY (see internal/wakeups). */
  readonly wakeups?: Wakeups.Wakeups
}

/** Messages committed but not yet processed by their consumer, per host. */
export const relayBacklog = Metric.gauge("mailroom_relay_backlog", {
  description: "Undelivered outbox plus unprocessed inbox rows"
})
/** Age of the oldest unprocessed inbox message, per host. */
export const relayLag = Metric.gauge("mailroom_relay_lag_ms", {
  description: "Age of the oldest unprocessed inbox message (ms)"
})
/** Parked inbox and outbox rows, per host. */
export const relayParked = Metric.gauge("mailroom_relay_parked", {
  description: "Parked inbox and outbox rows"
})

export type { MessageStatus, ParkedRow, PendingRow, RelayStats } from "./RelayQueries.js"

/** The relay's settings are unsafe (e.g. inbox marks expire while redeliveries are still possible). */
export class InvalidRelaySettings extends Schema.TaggedError<InvalidRelaySettings>()("InvalidRelaySettings", {
  message: Schema.String
}) {}

/** No parked message with that id. */
export class NothingToRedrive extends Schema.TaggedError<NothingToRedrive>()("NothingToRedrive", {
  messageId: Schema.String
}) {}

/** The relay: moves outbox rows to inboxes and feeds inboxes to the local hosts, at least once, in order per key. */
export class Relay extends Context.Tag("mailroom/pg/Relay")<
  Relay,
  {
    readonly parked: Effect.Effect<ReadonlyArray<ParkedRow>, unknown>
    readonly redrive: (messageId: string) => Effect.Effect<void, NothingToRedrive | unknown>
    readonly stats: Effect.Effect<ReadonlyArray<RelayStats>, unknown>
    /** Messages not yet handed on, oldest first, at most `limit` per host and box. */
    readonly pending: (limit: number) => Effect.Effect<ReadonlyArray<PendingRow>, unknown>
    /** Where a message stands in every inbox that received it (empty when unknown or expired). */
    readonly messageStatus: (messageId: string) => Effect.Effect<ReadonlyArray<MessageStatus>, unknown>
    /** Wakes every loop now (after a redrive or in tests). */
    readonly wake: Effect.Effect<void>
    /**
     * Keeps every relay, in every process, from delivering one key's messages to a host while the scope is open
     * (waits for a delivery of that key in progress to finish first). For repairs and tests.
     */
    readonly holdKey: (host: string, key: string) => Effect.Effect<void, unknown, Scope.Scope>
  }
>() {}

/** Checks relay settings; inbox marks must outlive every possible redelivery. */
export const validate = (options: RelayOptions) => {
  const maxAttempts = options.maxAttempts ?? 10
  const backoff = Duration.toMillis(options.backoff ?? "100 millis")
  const maxBackoff = Duration.toMillis(options.maxBackoff ?? "30 seconds")
  let horizon = 0
  for (let i = 0; i < maxAttempts; i++) horizon += Math.min(backoff * 2 ** i, maxBackoff)
  const inboxRetention = Duration.toMillis(options.inboxRetention ?? "7 days")
  const outboxRetention = Duration.toMillis(options.outboxRetention ?? "1 day")
  const redeliveryHorizon = horizon + outboxRetention
  if (inboxRetention <= redeliveryHorizon) {
    return Effect.fail(
      new InvalidRelaySettings({
        message: `inbox retention (${inboxRetention} ms) must be longer than the longest redelivery horizon (${redeliveryHorizon} ms = retries ${horizon} ms + outbox retention ${outboxRetention} ms); raise MAILROOM_INBOX_RETENTION or lower retries/outbox retention`
      })
    )
  }
  return Effect.succeed({ maxAttempts, backoff, maxBackoff, inboxRetention, outboxRetention })
}

/** Connections the relay keeps (internal/dedicated): a mover and the delivery workers per local host, and LISTEN. */
export const keptConnections = (
  options: Pick<RelayOptions, "local" | "move" | "deliver" | "workers" | "listen">
) =>
  options.local.length *
    ((options.move !== false ? 1 : 0) + (options.deliver !== false ? (options.workers ?? 1) : 0)) +
  (options.listen !== false ? 1 : 0)

/** Starts the relay loops for the local hosts, for the lifetime of the scope. */
export const make = (options: RelayOptions) =>
  Effect.gen(function* () {
    const settings = yield* validate(options)
    const sql = yield* SqlClient.SqlClient
    const bus = yield* Bus.Bus
    const faults = yield* Faults.Faults
    const topology = options.topology
    const prefix = topology.schemaPrefix
    const poll = Duration.decode(options.pollInterval ?? "250 millis")
    const workers = options.workers ?? 1
    const listen = options.listen !== false
    const wakeups = options.wakeups ?? Wakeups.make()

    // One doorbell per running loop (all delivery workers of a host share theirs), made before the loop starts.
    const bells = new Map<string, Doorbell.Doorbell>()
    const bellOf = (name: string) => {
      let bell = bells.get(name)
      if (bell === undefined) {
        bell = Doorbell.make()
        bells.set(name, bell)
      }
      return bell
    }
    const wakeNow = (name: string) => bells.get(name)?.ring()

    // Moves this host's committed outbox rows into the destination inboxes (one SQL call per round), then wakes
    // the delivery loops of destinations that run here. True when the round was full (more may be waiting).
    const moveOnce = (host: string, connection: Dedicated.Dedicated) => {
      const text = `SELECT moved, destinations FROM ${ident(topology.schemaOf(host))}.relay_outbox($1, $2, $3)`
      return Effect.gen(function* () {
        yield* faults.check("relay", host)
        const sentAt = performance.now()
        const rows = yield* connection.execute<{ moved: number; destinations: ReadonlyArray<string> }>(text, [
          moveBatch,
          settings.maxAttempts,
          prefix
        ])
        const moved = rows[0]?.moved ?? 0
        // Each destination with moved rows was notified; wake the ones delivered here without waiting for it.
        for (const destination of rows[0]?.destinations ?? [])
          wakeups.committed(`inbox:${topology.schemaOf(destination)}`, sentAt)
        return moved >= moveBatch
      })
    }

    interface InboxRow {
      readonly id: string
      readonly key: string
      readonly envelope: Envelope
      readonly attempts: number
    }

    // One delivery round for a host: take keys whose oldest pending message is due, lock them (so no other worker
    // or process delivers the same key), deliver each key's messages in order, unlock.
    const deliverOnce = (host: string, connection: Dedicated.Dedicated) => {
      // Until the host's actor is registered in this process there is nobody to deliver to: wait, don't fail.
      const ready = () => bus.hosts().includes(host)
      const deliverRound = deliverRoundFor(host, ready, connection)
      return Effect.suspend(() => (ready() ? deliverRound : Effect.succeed(false)))
    }

    const deliverRoundFor = (host: string, ready: () => boolean, connection: Dedicated.Dedicated) => {
      const schema = ident(topology.schemaOf(host))
      // One statement: the keys whose oldest pending message is due, locked (another worker or process skips
      // them), then those keys' pending messages in id order. The lock CTE calls a volatile function, so Postgres
      // evaluates it once per head row and never inlines it. The locks are the session's, on the connection this
      // worker keeps (no BEGIN round trip before the work starts), and are released when the round ends; a
      // connection that dies releases them too.
      const claim = `WITH heads AS (
               SELECT key, id FROM (
                 SELECT DISTINCT ON (key) key, id, available_at FROM ${schema}.inbox
                 WHERE processed_at IS NULL AND parked_at IS NULL ORDER BY key, id
               ) oldest WHERE available_at <= now() ORDER BY id LIMIT ${deliverKeys}
             ), locked AS (
               SELECT key FROM heads WHERE pg_try_advisory_lock(hashtextextended($1 || key, 0))
             )
             SELECT id, key, envelope, attempts FROM ${schema}.inbox
             WHERE key IN (SELECT key FROM locked) AND processed_at IS NULL AND parked_at IS NULL
             ORDER BY id LIMIT ${deliverRows}`
      const lockPrefix = [keyLockPrefix(schema)]
      return Effect.scoped(
        Effect.gen(function* () {
          // Every locked key has pending rows in the same snapshot, so an empty result holds no lock. An unlock the
          // database refuses leaves the locks on this worker's own session, which no one else uses: the next round's
          // unlock releases them (the dedicated connection goes back to the pool only once its session is gone).
          const rows = yield* Effect.acquireRelease(
            connection.execute<InboxRow>(claim, lockPrefix),
            (claimed) =>
              claimed.length === 0 ? Effect.void : Effect.ignore(connection.execute(unlockAll, []))
          )
          if (rows.length === 0) return false
          const byKey = new Map<string, Array<InboxRow>>()
          for (const row of rows) {
            const list = byKey.get(row.key)
            if (list === undefined) byKey.set(row.key, [row])
            else list.push(row)
          }
          const failures: Array<{ row: InboxRow; error: string }> = []
          yield* Effect.forEach(
            byKey.values(),
            (list) =>
              Effect.gen(function* () {
                for (const row of list) {
                  const exit = yield* Effect.exit(
                    Tracing.ifExporting((exporting) => {
                      if (!exporting) return bus.ask(host, row.envelope)
                      const parent = Tracing.parentOf(row.envelope.traceparent)
                      return Effect.withSpan(bus.ask(host, row.envelope), "mailroom.relay.deliver", {
                        // Always called from here: a captured stack adds nothing and costs ~5 µs per delivery.
                        captureStackTrace: false,
                        kind: "producer",
                        attributes: {
                          "mailroom.host": host,
                          "mailroom.type": row.envelope.type,
                          "mailroom.message_id": row.envelope.messageId,
                          "mailroom.attempt": row.attempts + 1
                        },
                        ...(parent === undefined ? {} : { parent })
                      })
                    })
                  )
                  if (Exit.isFailure(exit)) {
                    // This process stopping its host (unregistered first, then its actor drops what it holds)
                    // is not the message's failure: counting it would park healthy messages after a few restarts.
                    if (ready()) failures.push({ row, error: describe(exit) })
                    return // later messages of this key wait: per-key order
                  }
                }
              }),
            { concurrency: "unbounded", discard: true }
          )
          for (const { row, error } of failures) {
            const attempts = row.attempts + 1
            const base = Math.min(settings.backoff * 2 ** row.attempts, settings.maxBackoff)
            const jitter = yield* Random.nextRange(0.5, 1)
            const park = attempts >= settings.maxAttempts
            yield* sql.unsafe(
              `UPDATE ${schema}.inbox SET attempts = $2, last_error = $3,
                 available_at = now() + ($4::text || ' milliseconds')::interval,
                 parked_at = CASE WHEN $5 THEN now() ELSE NULL END
               WHERE id = $1`,
              [row.id, attempts, error.slice(0, 2000), String(Math.round(base * jitter)), park]
            )
            if (park) {
              yield* bus.observe({
                _tag: "DeliveryFailed",
                step: "relay",
                to: host,
                envelope: row.envelope,
                error: `parked after ${attempts} attempts: ${error}`
              })
            }
          }
          // A full round may have left due messages behind; otherwise new ones come with a wake-up.
          return rows.length >= deliverRows || byKey.size >= deliverKeys
        })
      )
    }

    // Runs rounds while they come back full, then waits for a wake-up (NOTIFY, this process's commits) or the
    // poll interval. A wake-up that arrives during a round makes the next wait return at once; one that came before
    // the round began was served by it (see internal/doorbell).
    const loop = (name: string, bell: Doorbell.Doorbell, round: Effect.Effect<boolean, unknown>) =>
      Effect.gen(function* () {
        while (true) {
          const seen = bell.rung()
          const more = yield* round.pipe(
            Effect.catchAllCause((cause) =>
              Effect.as(
                Effect.logWarning(`relay ${name} round failed; retrying after the poll interval`, cause),
                false
              )
            )
          )
          if (!more) yield* bell.waitBeyond(seen, poll)
        }
      })

    // Each loop keeps its own connection for its rounds (internal/dedicated).
    for (const host of options.local) {
      if (options.move !== false) {
        const connection = yield* Dedicated.make(sql)
        const name = `move:${host}`
        yield* Effect.forkScoped(loop(name, bellOf(name), moveOnce(host, connection)))
      }
      if (options.deliver !== false) {
        const name = `deliver:${host}`
        for (let i = 0; i < workers; i++) {
          const connection = yield* Dedicated.make(sql)
          yield* Effect.forkScoped(loop(name, bellOf(name), deliverOnce(host, connection)))
        }
      }
    }

    if (listen) {
      // This process's own commits wake its loops directly, and every NOTIFY (other processes', and the echoes of
      // this one's) wakes them too.
      for (const host of options.local) {
        const schema = topology.schemaOf(host)
        wakeups.on(`outbox:${schema}`, () => wakeNow(`move:${host}`))
        wakeups.on(`inbox:${schema}`, () => wakeNow(`deliver:${host}`))
      }
      const pg = yield* PgClient.PgClient
      // One channel for every wake-up ("outbox:<schema>" or "inbox:<schema>"): a single LISTEN per process
      // (the client shares one connection for LISTEN; concurrent LISTEN statements on it are not allowed).
      yield* pg.listen(channel).pipe(
        Stream.runForEach((payload) => Effect.sync(() => wakeups.heard(payload))),
        // A dead LISTEN connection goes quiet; polling covers the gap while it reconnects.
        Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))),
        Effect.catchAllCause((cause) => Effect.logWarning("relay LISTEN stopped; polling only", cause)),
        Effect.forkScoped
      )
    }

    const cleanup = Effect.gen(function* () {
      for (const host of options.local) {
        const schema = ident(topology.schemaOf(host))
        // Small batches: never one long transaction holding locks on hot tables.
        while (true) {
          const deleted = yield* sql.unsafe(
            `DELETE FROM ${schema}.inbox WHERE id IN (SELECT id FROM ${schema}.inbox
               WHERE processed_at < now() - ($1::text || ' milliseconds')::interval LIMIT 1000) RETURNING 1`,
            [String(settings.inboxRetention)]
          )
          if (deleted.length < 1000) break
        }
        while (true) {
          const deleted = yield* sql.unsafe(
            `DELETE FROM ${schema}.outbox WHERE id IN (SELECT id FROM ${schema}.outbox
               WHERE delivered_at < now() - ($1::text || ' milliseconds')::interval LIMIT 1000) RETURNING 1`,
            [String(settings.outboxRetention)]
          )
          if (deleted.length < 1000) break
        }
      }
    })
    yield* cleanup.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("relay retention cleanup failed", cause)),
      Effect.repeat(Schedule.spaced(options.cleanupInterval ?? "1 minute")),
      Effect.forkScoped
    )

    const wakeAll = Effect.sync(() => {
      for (const bell of bells.values()) bell.ring()
    })

    const queries = RelayQueries.make(sql, topology)
    const stats = queries.stats

    // Backlog, lag and parked counts as gauges, refreshed in the background for metric exporters.
    yield* stats.pipe(
      Effect.flatMap((all) =>
        Effect.forEach(
          all,
          (s) =>
            Effect.all([
              Metric.set(Metric.tagged(relayBacklog, "host", s.host), s.outboxPending + s.inboxPending),
              Metric.set(Metric.tagged(relayLag, "host", s.host), s.lagMillis),
              Metric.set(Metric.tagged(relayParked, "host", s.host), s.parked)
            ]),
          { discard: true }
        )
      ),
      Effect.catchAllCause((cause) => Effect.logDebug("relay metrics refresh failed", cause)),
      Effect.repeat(Schedule.spaced(options.metricsInterval ?? "5 seconds")),
      Effect.forkScoped
    )

    return Relay.of({
      wake: wakeAll,
      holdKey: (host, key) =>
        Effect.gen(function* () {
          const connection = yield* sql.reserve
          const params = [keyLockPrefix(ident(topology.schemaOf(host))), key]
          // A session lock on a reserved connection, the same kind the delivery rounds take: they skip this key.
          yield* Effect.acquireRelease(
            connection.execute("SELECT pg_advisory_lock(hashtextextended($1 || $2, 0))", params, undefined),
            () =>
              Effect.orDie(
                connection.execute(
                  "SELECT pg_advisory_unlock(hashtextextended($1 || $2, 0))",
                  params,
                  undefined
                )
              )
          )
        }),
      parked: queries.parked,
      redrive: (messageId) =>
        Effect.gen(function* () {
          let found = 0
          for (const host of topology.hosts) {
            const schema = ident(topology.schemaOf(host.name))
            for (const box of ["inbox", "outbox"] as const) {
              const rows = yield* sql.unsafe(
                `UPDATE ${schema}.${box} SET parked_at = NULL, attempts = 0, last_error = NULL
                 ${box === "inbox" ? ", available_at = now()" : ""}
                 WHERE message_id = $1 AND parked_at IS NOT NULL RETURNING 1`,
                [messageId]
              )
              found += rows.length
            }
          }
          if (found === 0) return yield* new NothingToRedrive({ messageId })
          yield* wakeAll
        }),
      pending: queries.pending,
      messageStatus: queries.messageStatus,
      stats
    })
  })

/** The relay as a layer for the given local hosts. */
export const layer = (
  options: RelayOptions
): Layer.Layer<
  Relay,
  InvalidRelaySettings,
  SqlClient.SqlClient | PgClient.PgClient | Bus.Bus | Faults.Faults
> => Layer.scoped(Relay, make(options))

// internal

/** Most outbox rows one move round takes. */
const moveBatch = 1000
/** Most keys, and most messages, one delivery round takes. */
const deliverKeys = 256
const deliverRows = 2000

/** Prefix of the advisory lock name that gives one delivery round (or a hold) a host's key. */
const keyLockPrefix = (quotedSchema: string) => `mailroom:${quotedSchema}:`

const unlockAll = "SELECT pg_advisory_unlock_all()"

const describe = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  const error = Cause.squash(exit.cause) as { reason?: unknown; message?: unknown }
  return typeof error.reason === "string"
    ? error.reason
    : typeof error.message === "string"
      ? error.message
      : String(error)
}
