import { Context, type Duration, Effect, Metric, Schema, type Scope } from "effect"
import type { PersistenceError } from "./CommitBoundary.js"
import type { BoxStats, MessageStatus, ParkedMessage, PendingMessage } from "./ContextStorage.js"
import * as RetryPolicy from "./internal/retryPolicy.js"

/** Retry, parking and retention settings of the relay (all optional). */
export type { RetrySettings } from "./internal/retryPolicy.js"

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
export const validate = (options: RetryPolicy.RetrySettings): Effect.Effect<void, InvalidRelaySettings> =>
  Effect.asVoid(
    Effect.mapError(RetryPolicy.fromSettings(options), (message) => new InvalidRelaySettings({ message }))
  )
