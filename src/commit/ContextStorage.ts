import { Context } from "effect"
import type { Effect, Scope } from "effect"
import type { Envelope } from "../runtime/Envelope.js"
import type {
  AuditEntry,
  Behind,
  CommitRequest,
  Loaded,
  MessageIdReused,
  PersistenceError,
  MessageNotAccepted,
  VersionConflict
} from "./CommitBoundary.js"
import type { AnyHostDefinition } from "./HostDefinition.js"
import type { ScheduledRoute } from "./Routing.js"
import type { PendingTimer } from "./Timers.js"

/** A message stored in an inbox (for the host to handle) or an outbox (for the relay to forward). */
export interface StoredMessage {
  /** The row's id in its box: ascending in the order the box received the messages. */
  readonly id: string
  readonly envelope: Envelope
  /** Failed attempts so far. */
  readonly attempts: number
}

/** A message in an outbox, for one destination. */
export interface OutboxMessage extends StoredMessage {
  readonly destination: string
  /** A message scheduled for later (now due), not one to send at once. */
  readonly scheduled?: boolean
}

/** An outbox row a commit wrote, and whether it may be handed over at once: nothing older of its destination and key waits. */
export interface Written {
  readonly id: string
  readonly destination: string
  readonly envelope: Envelope
  readonly ahead: boolean
}

/** What a storage commit did. */
export type StorageCommitResult =
  | { readonly _tag: "Committed"; readonly version: number; readonly written: ReadonlyArray<Written> }
  | { readonly _tag: "Duplicate"; readonly version: number }

/** One handled message's outcome for a context's storage. */
export interface StorageCommit {
  readonly request: CommitRequest
  /** Every produced message with the host it goes to (an event once per consumer, a command to its one consumer). */
  readonly outbox: ReadonlyArray<{ readonly destination: string; readonly envelope: Envelope }>
  /**
   * The host whose outbox handed this message over in memory, if it did: then the commit refuses (`Behind`) when an
   * older message of the key waits in the inbox, or another process is delivering the key, and applies nothing.
   */
  readonly handedOverBy?: string
  /** The written outbox rows are wanted back (to hand them over in this process); otherwise `written` may be empty. */
  readonly handOver?: boolean
  /** Messages scheduled for later, each with its destination: outbox rows that wait for their due time. */
  readonly scheduled?: ReadonlyArray<ScheduledRoute>
}

/** What one claim of an outbox took, and when the next scheduled message falls due. */
export interface OutboxClaim {
  readonly messages: ReadonlyArray<OutboxMessage>
  /** Milliseconds until the next scheduled message not yet due falls due (absent: none, or the claim was not got). */
  readonly nextDueIn?: number
}

/** What the relay does with a message whose attempt failed: retry it after a delay, or park it. */
export interface Deferral {
  readonly error: string
  readonly attempts: number
  readonly delayMillis: number
  readonly park: boolean
}

/** A message the relay gave up on, with why. */
export interface ParkedMessage {
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
export interface PendingMessage {
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

/** One host's delivery figures. */
export interface BoxStats {
  readonly host: string
  /** Committed messages not yet in their destination's inbox. */
  readonly outboxPending: number
  /** The same, per destination host. */
  readonly outboxByDestination: Readonly<Record<string, number>>
  /** Messages in this host's inbox not yet processed. */
  readonly inboxPending: number
  readonly parked: number
  /** Age of the oldest unprocessed inbox message, in milliseconds (0 when none). */
  readonly lagMillis: number
  /** Messages this host scheduled that are not due yet (timer rows of its outbox). */
  readonly scheduled: number
  /** Messages this host scheduled that fell due and are not delivered yet (not parked). */
  readonly overdue: number
}

/**
 * The durable storage of one bounded context: its state, audit log, inbox and outbox, and nothing of any other
 * context. Every operation runs in this context's own database and transaction; the relay carries messages between
 * storages. Implemented on PostgreSQL by `mailroom/pg`.
 */
export interface ContextStorage {
  readonly host: string
  /** Where the storage lives, for messages (e.g. "127.0.0.1:5432/app"); never a password. */
  readonly location: string
  /** Stores a message from outside in this context's inbox before returning (acknowledged = stored). */
  readonly store: (
    envelope: Envelope
  ) => Effect.Effect<void, PersistenceError | MessageIdReused | MessageNotAccepted>
  /** The key's state, maybe from this process's last commit of it (the commit's version check catches a stale one). */
  readonly load: (host: AnyHostDefinition, key: string) => Effect.Effect<Loaded | undefined, PersistenceError>
  /** The key's state as stored now. */
  readonly read: (host: AnyHostDefinition, key: string) => Effect.Effect<Loaded | undefined, PersistenceError>
  readonly keys: Effect.Effect<ReadonlyArray<string>, PersistenceError>
  readonly audit: (key?: string) => Effect.Effect<ReadonlyArray<AuditEntry>, PersistenceError>
  /** Writes state, audit entry, inbox mark and outbox rows of one handled message in one of this context's transactions. */
  readonly commit: (
    commit: StorageCommit
  ) => Effect.Effect<StorageCommitResult, PersistenceError | VersionConflict | Behind>

  /** Adds messages from another context to this inbox, in order; an id already received is skipped. */
  readonly accept: (
    source: string,
    messages: ReadonlyArray<Envelope>
  ) => Effect.Effect<void, PersistenceError>
  /**
   * Takes the keys whose oldest pending inbox message is due, for this process alone while the scope is open (no
   * other worker or process delivers them), with their pending messages in order. `more` says the claim was full:
   * more messages may be due.
   */
  readonly claimInbox: Effect.Effect<
    { readonly messages: ReadonlyArray<StoredMessage>; readonly more: boolean },
    PersistenceError,
    Scope.Scope
  >
  /** Records a failed delivery of an inbox message: retried after the delay, or parked. */
  readonly deferInbox: (message: StoredMessage, deferral: Deferral) => Effect.Effect<void, PersistenceError>

  /**
   * Takes the oldest pending outbox messages of the destinations not listed in `skip`, in order, for this process alone
   * while the scope is open (no other process forwards this outbox meanwhile): messages to send now and scheduled ones
   * that are due. Empty when another process holds it.
   */
  readonly claimOutbox: (
    limit: number,
    skip: ReadonlyArray<string>
  ) => Effect.Effect<OutboxClaim, PersistenceError, Scope.Scope>
  /**
   * Records that outbox messages were forwarded (they are in their destination's inbox, or handled there): they
   * leave the outbox (the PostgreSQL storage deletes them; the consumer's inbox keeps the message from then on).
   */
  readonly markForwarded: (ids: ReadonlyArray<string>) => Effect.Effect<void, PersistenceError>
  /** Records a failed forward of an outbox message: counted, and parked when the deferral says so. */
  readonly deferOutbox: (message: OutboxMessage, deferral: Deferral) => Effect.Effect<void, PersistenceError>

  /**
   * Messages committed or stored here and not yet handled (outbox not forwarded plus inbox not processed); a scheduled
   * message counts once it is due.
   */
  readonly backlog: Effect.Effect<number, PersistenceError>
  readonly stats: Effect.Effect<BoxStats, PersistenceError>
  readonly parked: Effect.Effect<ReadonlyArray<ParkedMessage>, PersistenceError>
  readonly pending: (limit: number) => Effect.Effect<ReadonlyArray<PendingMessage>, PersistenceError>
  /** Messages this context scheduled that are not forwarded yet (due later, or due and waiting), soonest first. */
  readonly scheduled: (limit: number) => Effect.Effect<ReadonlyArray<PendingTimer>, PersistenceError>
  readonly messageStatus: (messageId: string) => Effect.Effect<ReadonlyArray<MessageStatus>, PersistenceError>
  /** Unparks a message in this inbox or outbox; false when none is parked under that id. */
  readonly redrive: (messageId: string) => Effect.Effect<boolean, PersistenceError>
  /** Deletes processed inbox marks and forwarded outbox rows older than the given ages, in small batches. */
  readonly purge: (ages: {
    readonly inboxMillis: number
    readonly outboxMillis: number
  }) => Effect.Effect<void, PersistenceError>
  /** Keeps every process from delivering one key while the scope is open (waits for a delivery in progress). */
  readonly holdKey: (key: string) => Effect.Effect<void, PersistenceError, Scope.Scope>
}

/** Every context's storage in a deployment, by host name, with the wake-ups their databases send. */
export class Storages extends Context.Tag("mailroom/commit/Storages")<
  Storages,
  {
    readonly all: ReadonlyArray<ContextStorage>
    readonly of: (host: string) => ContextStorage | undefined
    /**
     * Registers what to do when a database says new messages wait in a host's inbox or outbox (another process
     * committed or stored them), for the lifetime of the scope.
     */
    readonly onNotified: (listener: (wakeup: Wakeup) => void) => Effect.Effect<void, never, Scope.Scope>
  }
>() {}

/** New messages wait in a host's inbox or outbox. */
export interface Wakeup {
  readonly box: "inbox" | "outbox"
  readonly host: string
}
