import { Context, Duration, Effect, Layer, Metric, Schedule, Schema, type Scope } from "effect"
import * as Bus from "./Bus.js"
import type { PersistenceError } from "./CommitBoundary.js"
import {
  type BoxStats,
  type ContextStorage,
  type MessageStatus,
  type ParkedMessage,
  type PendingMessage,
  Storages
} from "./ContextStorage.js"
import * as Faults from "./Faults.js"
import * as Delivery from "./internal/delivery.js"
import type * as Doorbell from "./internal/doorbell.js"
import * as Forwarding from "./internal/forwarding.js"
import * as RetryPolicy from "./internal/retryPolicy.js"
import { SignalsTag } from "./internal/signals.js"

/** Settings of the relay: which hosts it serves here, how it is woken, how it retries, what it keeps. */
export interface RelayOptions extends RetryPolicy.RetrySettings {
  /** Hosts whose actors run in this process: the relay forwards their outboxes and feeds their inboxes. */
  readonly local: ReadonlyArray<string>
  /** Longest wait when no wake-up arrives (a lost notification costs at most this). */
  readonly pollInterval?: Duration.DurationInput
  /** Concurrent delivery workers per local host (they never take the same key at once). */
  readonly workers?: number
  /** Run the loops that forward the local hosts' outboxes to their destinations (default true). */
  readonly forward?: boolean
  /** Run the loops that feed the local hosts' inboxes to their actors (default true). */
  readonly deliver?: boolean
  readonly cleanupInterval?: Duration.DurationInput
  /** How often backlog, lag and parked gauges are refreshed. */
  readonly metricsInterval?: Duration.DurationInput
}

/** One host's delivery figures, or why they could not be read (its storage is unreachable). */
export type HostBoxStats = BoxStats & {
  /** Set when the host's storage could not be read: the figures are then zero. */
  readonly unreachable?: string
  /** Destinations this host's outbox waits for because their storage cannot be reached. */
  readonly waitingFor: ReadonlyArray<string>
}

/** The relay's settings are unsafe (e.g. inbox marks expire while redeliveries are still possible). */
export class InvalidRelaySettings extends Schema.TaggedError<InvalidRelaySettings>()("InvalidRelaySettings", {
  message: Schema.String
}) {}

/** No parked message with that id. */
export class NothingToRedrive extends Schema.TaggedError<NothingToRedrive>()("NothingToRedrive", {
  messageId: Schema.String
}) {}

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

/**
 * The relay: carries committed messages from each producer's outbox into its consumers' inboxes, and feeds each local
 * host its inbox, at least once and in order per key; retries, parks and redrives; keeps the boxes small.
 */
export class Relay extends Context.Tag("mailroom/commit/Relay")<
  Relay,
  {
    readonly parked: Effect.Effect<ReadonlyArray<ParkedMessage>, PersistenceError>
    readonly redrive: (messageId: string) => Effect.Effect<void, NothingToRedrive | PersistenceError>
    /** Per-host figures; a host whose storage cannot be read is reported as unreachable, never fails the rest. */
    readonly stats: Effect.Effect<ReadonlyArray<HostBoxStats>>
    /** Messages not yet handed on, oldest first, at most `limit` per host and box. */
    readonly pending: (limit: number) => Effect.Effect<ReadonlyArray<PendingMessage>, PersistenceError>
    /** Where a message stands in every inbox that received it (empty when unknown or expired). */
    readonly messageStatus: (
      messageId: string
    ) => Effect.Effect<ReadonlyArray<MessageStatus>, PersistenceError>
    /** Wakes every loop now (after a redrive or in tests). */
    readonly wake: Effect.Effect<void>
    /**
     * Keeps every relay, in every process, from delivering one key's messages to a host while the scope is open
     * (waits for a delivery of that key in progress to finish first). For repairs and tests.
     */
    readonly holdKey: (host: string, key: string) => Effect.Effect<void, PersistenceError, Scope.Scope>
  }
>() {}

/** Checks relay settings; inbox marks must outlive every possible redelivery. */
export const validate = (options: RetryPolicy.RetrySettings) =>
  Effect.mapError(RetryPolicy.fromSettings(options), (message) => new InvalidRelaySettings({ message }))

/** Starts the relay loops for the local hosts, for the lifetime of the scope. */
export const make = (options: RelayOptions) =>
  Effect.gen(function* () {
    const policy = yield* validate(options)
    const storages = yield* Storages
    const bus = yield* Bus.Bus
    const faults = yield* Faults.installed
    const signals = yield* SignalsTag
    const poll = Duration.decode(options.pollInterval ?? "250 millis")
    const workers = options.workers ?? 1
    const local = options.local.map((host) => {
      const storage = storages.of(host)
      if (storage === undefined) throw new Error(`local host ${host} has no storage`)
      return storage
    })

    // Runs rounds while they come back full, then waits for a wake-up or the poll interval. A wake-up that arrives
    // during a round makes the next wait return at once; one that came before the round began was served by it.
    // A failing round is said once (with why), and once more when rounds succeed again, not at every poll.
    const loop = (name: string, bell: Doorbell.Doorbell, round: Effect.Effect<boolean, unknown>) =>
      Effect.gen(function* () {
        let failing = false
        while (true) {
          const seen = bell.rung()
          const more = yield* round.pipe(
            Effect.tap(() => {
              if (!failing) return Effect.void
              failing = false
              return Effect.logInfo(`relay ${name}: rounds succeed again`)
            }),
            Effect.catchAllCause((cause) => {
              if (failing) return Effect.succeed(false)
              failing = true
              return Effect.as(
                Effect.logWarning(
                  `relay ${name}: round failed; retrying every ${Duration.format(poll)}`,
                  cause
                ),
                false
              )
            })
          )
          if (!more) yield* bell.waitBeyond(seen, poll)
        }
      })

    const forwarders = new Map<string, ReturnType<typeof Forwarding.make>>()
    for (const storage of local) {
      if (options.forward !== false) {
        const forwarding = Forwarding.make({ producer: storage, storageOf: storages.of, policy, bus, faults })
        forwarders.set(storage.host, forwarding)
        const bell = signals.bell({ box: "outbox", host: storage.host })
        yield* Effect.forkScoped(loop(`forward ${storage.host}`, bell, forwarding.round))
      }
      if (options.deliver !== false) {
        const delivery = Delivery.make({ storage, policy, bus })
        const bell = signals.bell({ box: "inbox", host: storage.host })
        for (let i = 0; i < workers; i++)
          yield* Effect.forkScoped(loop(`deliver ${storage.host}`, bell, delivery.round))
      }
    }
    // What another process stored or forwarded (and the echoes of this one's writes) wakes the loops here.
    yield* storages.onNotified(signals.heard)

    // Retention: processed inbox marks and forwarded outbox rows of the local hosts, in small batches.
    yield* Effect.forEach(
      local,
      (storage) =>
        storage.purge({
          inboxMillis: policy.inboxRetentionMillis,
          outboxMillis: policy.outboxRetentionMillis
        }),
      { discard: true }
    ).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("relay retention cleanup failed", cause)),
      Effect.repeat(Schedule.spaced(options.cleanupInterval ?? "1 minute")),
      Effect.forkScoped
    )

    const statsOf = (storage: ContextStorage): Effect.Effect<HostBoxStats> => {
      const waitingFor =
        forwarders
          .get(storage.host)
          ?.waitingFor()
          .map((w) => w.destination) ?? []
      return storage.stats.pipe(
        Effect.map((stats): HostBoxStats => ({ ...stats, waitingFor })),
        Effect.catchAll((error) =>
          Effect.succeed<HostBoxStats>({
            host: storage.host,
            outboxPending: 0,
            outboxByDestination: {},
            inboxPending: 0,
            parked: 0,
            lagMillis: 0,
            unreachable: `${storage.location}: ${error.message}`,
            waitingFor
          })
        )
      )
    }
    const stats = Effect.forEach(storages.all, statsOf, { concurrency: "unbounded" })

    // Backlog, lag and parked counts as gauges, refreshed in the background for metric exporters.
    yield* stats.pipe(
      Effect.flatMap((all) =>
        Effect.forEach(
          all.filter((s) => s.unreachable === undefined),
          (s) =>
            Effect.all([
              Metric.set(Metric.tagged(relayBacklog, "host", s.host), s.outboxPending + s.inboxPending),
              Metric.set(Metric.tagged(relayLag, "host", s.host), s.lagMillis),
              Metric.set(Metric.tagged(relayParked, "host", s.host), s.parked)
            ]),
          { discard: true }
        )
      ),
      Effect.repeat(Schedule.spaced(options.metricsInterval ?? "5 seconds")),
      Effect.forkScoped
    )

    const each = <A>(f: (storage: ContextStorage) => Effect.Effect<ReadonlyArray<A>, PersistenceError>) =>
      Effect.map(Effect.forEach(storages.all, f), (lists) => lists.flat())
    const wake = Effect.sync(() => signals.ringAll())

    return Relay.of({
      wake,
      stats,
      parked: each((storage) => storage.parked),
      pending: (limit) => each((storage) => storage.pending(limit)),
      messageStatus: (messageId) => each((storage) => storage.messageStatus(messageId)),
      redrive: (messageId) =>
        Effect.gen(function* () {
          const found = yield* Effect.forEach(storages.all, (storage) => storage.redrive(messageId))
          if (!found.some(Boolean)) return yield* new NothingToRedrive({ messageId })
          yield* wake
        }),
      holdKey: (host, key) => {
        const storage = storages.of(host)
        return storage === undefined ? Effect.void : storage.holdKey(key)
      }
    })
  })

/** The relay as a layer for the given local hosts. */
export const layer = (
  options: RelayOptions
): Layer.Layer<Relay, InvalidRelaySettings, Storages | Bus.Bus | SignalsTag> =>
  Layer.scoped(Relay, make(options))
