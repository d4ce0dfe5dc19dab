import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { Envelope } from "../runtime/Envelope.js"
import type { AnyHostDefinition } from "./HostDefinition.js"

/** The storage or infrastructure under a boundary failed; the operation had no effect unless stated. */
export class PersistenceError extends Schema.TaggedError<PersistenceError>()("PersistenceError", {
  operation: Schema.String,
  message: Schema.String,
  /** True when the storage could not be reached at all (connection refused or lost): a later try may succeed as it is. */
  unavailable: Schema.optional(Schema.Boolean)
}) {}

/** Another writer committed the same key first; the whole handling must be retried. */
export class VersionConflict extends Schema.TaggedError<VersionConflict>()("VersionConflict", {
  host: Schema.String,
  key: Schema.String,
  expected: Schema.Number
}) {}

/**
 * A message handed over in memory would overtake an older message of its key waiting in the consumer's inbox, or
 * another process is delivering that key: nothing was applied, and the message goes the relay's way instead.
 */
export class Behind extends Schema.TaggedError<Behind>()("Behind", {
  host: Schema.String,
  key: Schema.String,
  messageId: Schema.String
}) {}

/** A host's current state for one key, with the version the next commit must build on (0 = none yet). */
export interface Loaded {
  readonly state: unknown
  readonly version: number
}

/** A message a decision scheduled: its envelope (whose `occurredAt` is the due time) and when it is due. */
export interface ScheduledEnvelope {
  readonly envelope: Envelope
  /** When to deliver it, in epoch milliseconds. */
  readonly dueAt: number
}

/** One handled message's outcome, handed to the boundary to apply atomically (as far as the boundary can). */
export interface CommitRequest {
  readonly host: AnyHostDefinition
  readonly key: string
  /** The message that was handled. */
  readonly consumed: Envelope
  /** Version the state was loaded at; the commit fails with VersionConflict if it moved. */
  readonly expectedVersion: number
  /** New state, or undefined when the message changed nothing. */
  readonly state: unknown
  readonly events: ReadonlyArray<Envelope>
  readonly commands: ReadonlyArray<Envelope>
  /** Messages to deliver later, committed with the rest (none when absent). */
  readonly scheduled?: ReadonlyArray<ScheduledEnvelope>
  /** Ids of scheduled messages not to deliver any more, if still waiting (none when absent). */
  readonly cancelled?: ReadonlyArray<string>
}

/** A message the boundary could not hand on after the state was saved (memory boundary only). */
export interface DeliveryFailure {
  readonly step: "publish" | "dispatch"
  readonly to: string
  readonly envelope: Envelope
  readonly error: string
}

/** What a commit did. */
export interface CommitReport {
  /** The key's version after the commit. */
  readonly version: number
  /** True when the consumed message had already been processed: nothing was applied again. */
  readonly duplicate: boolean
  /** Deliveries that failed after the state was saved (reported, never swallowed). */
  readonly failures: ReadonlyArray<DeliveryFailure>
}

/** One entry of a host's append-only audit log: what it handled and what that produced. */
export interface AuditEntry {
  readonly seq: number
  readonly host: string
  readonly key: string
  readonly message: Envelope
  readonly events: ReadonlyArray<Envelope>
  readonly commands: ReadonlyArray<Envelope>
  /** Messages scheduled for later by this handling (absent when none). */
  readonly scheduled?: ReadonlyArray<ScheduledEnvelope>
  /** Scheduled message ids this handling cancelled (absent when none). */
  readonly cancelled?: ReadonlyArray<string>
  readonly stateChanged: boolean
  readonly version: number
  readonly committedAt: number
}

/** The single seam where infrastructure applies a host's decisions: in memory (direct) or durably (outbox). */
export class CommitBoundary extends Context.Tag("mailroom/commit/CommitBoundary")<
  CommitBoundary,
  {
    /** Which boundary this is; acknowledgment semantics differ (see README guarantees). */
    readonly kind: "memory" | "postgres"
    /**
     * Accepts a message for a host: memory enqueues it, Postgres stores it durably before returning. A message id the
     * host already received with the same type, version, key and payload is acknowledged again (and changes nothing);
     * with anything else it is refused with `MessageIdReused`.
     */
    readonly accept: (
      host: string,
      envelope: Envelope
    ) => Effect.Effect<void, PersistenceError | MessageNotAccepted | MessageIdReused>
    /**
     * Reads a host's state for one key before handling a message: may answer from a cache of this process's own
     * commits, since the commit's version check rejects a stale copy.
     */
    readonly load: (
      host: AnyHostDefinition,
      key: string
    ) => Effect.Effect<Loaded | undefined, PersistenceError>
    /** Reads a host's state for one key as stored now, for queries (never from a cache). */
    readonly read: (
      host: AnyHostDefinition,
      key: string
    ) => Effect.Effect<Loaded | undefined, PersistenceError>
    /** Applies the decision on one handled message. */
    readonly commit: (
      request: CommitRequest
    ) => Effect.Effect<CommitReport, PersistenceError | VersionConflict | Behind>
    /** Keys that have state for a host. */
    readonly keys: (host: AnyHostDefinition) => Effect.Effect<ReadonlyArray<string>, PersistenceError>
    /** A host's audit log, optionally for one key, in commit order. */
    readonly audit: (host: string, key?: string) => Effect.Effect<ReadonlyArray<AuditEntry>, PersistenceError>
    /** Messages committed but not yet handed to their consumers (always 0 for the memory boundary). */
    readonly backlog: Effect.Effect<number, PersistenceError>
  }
>() {}

/** The boundary refused to accept a message (no such host, mailbox full, shutting down). */
export class MessageNotAccepted extends Schema.TaggedError<MessageNotAccepted>()("MessageNotAccepted", {
  host: Schema.String,
  messageId: Schema.String,
  reason: Schema.String
}) {}

/**
 * A message id was sent again with another message (type, version, key or payload differ from what the host received
 * under that id): refused, since accepting it would drop it silently as a duplicate. Send a new message under a new id.
 */
export class MessageIdReused extends Schema.TaggedError<MessageIdReused>()("MessageIdReused", {
  host: Schema.String,
  messageId: Schema.String,
  reason: Schema.String
}) {}

/**
 * What two envelopes under one id must share to be the same message: type, version, key and payload (ids of cause
 * and flow, time and trace may differ between a message and its retry). Undefined when they are the same message.
 */
export const differenceOf = (
  stored: Pick<Envelope, "type" | "version" | "key" | "payload">,
  sent: Pick<Envelope, "type" | "version" | "key" | "payload">
): string | undefined => {
  if (stored.type !== sent.type) return `it was ${stored.type}, now ${sent.type}`
  if (stored.version !== sent.version) return `it was ${stored.type} v${stored.version}, now v${sent.version}`
  if (stored.key !== sent.key)
    return `its key was ${JSON.stringify(stored.key)}, now ${JSON.stringify(sent.key)}`
  return canonicalJson(stored.payload) === canonicalJson(sent.payload)
    ? undefined
    : "the stored payload differs"
}

/** The refusal of a message id sent again with another message; `difference` as `differenceOf` words it. */
export const messageIdReused = (host: string, messageId: string, difference: string): MessageIdReused =>
  new MessageIdReused({
    host,
    messageId,
    reason: `message id ${JSON.stringify(messageId)} was already used for another message to ${host} (${difference}); a message id names one message: send a different message under a new id`
  })

// internal

/** JSON with object keys sorted, so payloads compare by content (as PostgreSQL's jsonb equality does). */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === "object" && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.keys(inner)
            .sort()
            .map((key) => [key, (inner as Record<string, unknown>)[key]])
        )
      : inner
  )
