import { Context } from "effect"
import type { Effect } from "effect"
import type { Envelope } from "../runtime/Envelope.js"
import type { AuditEntry, PersistenceError } from "../commit/CommitBoundary.js"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"

/** A message as one host's inbox or outbox holds it (an outbox row is deleted once its consumer has the message). */
export interface BoxRow {
  /** The host whose box this is. */
  readonly host: string
  /** `mailbox`: parked by the host's supervisor (in memory), not in a table. */
  readonly box: "inbox" | "outbox" | "mailbox"
  readonly envelope: Envelope
  /** Outbox: the destination host; inbox: where the message came from (a host, `external` or `direct`). */
  readonly peer: string
  /** Failed attempts so far. */
  readonly attempts: number
  readonly lastError: string | null
  /** When the box received the row (epoch ms). */
  readonly storedAt: number
  /** When the row is due (an inbox row waiting for a retry, a timer); null when due at once. */
  readonly dueAt: number | null
  /** Inbox: when the message was handled; outbox: when it was forwarded (rows of earlier releases). */
  readonly doneAt: number | null
  readonly parkedAt: number | null
}

/** What a deployment recorded about some messages: the hosts' audit entries and their box rows. */
export interface Records {
  readonly audit: ReadonlyArray<AuditEntry>
  readonly rows: ReadonlyArray<BoxRow>
}

/** What a replay of one host needs: its audit entries and its stored states (decoded, by key). */
export interface ReplayInputs {
  readonly audit: ReadonlyArray<AuditEntry>
  /** Each key's stored state, in the host definition's state type (undefined when none is stored). */
  readonly stored: ReadonlyMap<string, unknown>
}

/** A message given up on: parked by the relay (in a box) or by a host's supervisor (its mailbox). */
export interface Parked {
  readonly host: string
  readonly where: "inbox" | "outbox" | "mailbox"
  /** What `redrive` takes: the message id, or the supervisor's parked id (`accounting/1`). */
  readonly id: string
  readonly messageId: string
  readonly correlationId: string | null
  readonly type: string
  readonly key: string
  readonly attempts: number
  readonly reason: string
  readonly parkedAt: number
}

/** One host's delivery figures as an operator reads them. */
export interface HostStatus {
  readonly host: string
  /** Where its storage lives (never a password). */
  readonly location: string
  /** Messages not yet handled: committed in its outbox and not forwarded, plus waiting in its inbox. */
  readonly backlog: number
  readonly outboxPending: number
  readonly outboxByDestination: Readonly<Record<string, number>>
  readonly inboxPending: number
  /** Age of the oldest message waiting in its inbox (0 when none). */
  readonly lagMillis: number
  readonly parked: number
  /** Messages due longer ago than the overdue threshold and still not handled (or forwarded); timers included. */
  readonly overdue: number
  /** Messages the host scheduled for later (timers) that are not due yet. */
  readonly timersScheduled: number
  /** Messages the host scheduled for later (timers) that are due and not delivered yet, however briefly. */
  readonly timersOverdue: number
  /** Set when its storage could not be read: the figures are then zero. */
  readonly unreachable?: string
}

/**
 * What an operator reads from a running or stopped deployment, and the one repair: a deployment's audit logs and boxes,
 * parked messages, figures per host, and redrive. Implemented over PostgreSQL (`mailroom/pg` `PgJournal`, reading each
 * context's schema without running anything) and over a running in-memory application (`MemoryJournal`).
 */
export class Journal extends Context.Tag("mailroom/operate/Journal")<
  Journal,
  {
    readonly kind: "memory" | "postgres"
    /** Every host of the deployment. */
    readonly hosts: ReadonlyArray<AnyHostDefinition>
    /** Where each host's storage lives, by host name ("memory", or host:port/database and schema; never a password). */
    readonly locations: Readonly<Record<string, string>>
    /** Figures per host; a host whose storage cannot be read is reported as unreachable, never fails the rest. */
    readonly status: (options: {
      readonly overdueAfterMillis: number
    }) => Effect.Effect<ReadonlyArray<HostStatus>>
    readonly parked: Effect.Effect<ReadonlyArray<Parked>, PersistenceError>
    /** Rows not yet handed on (waiting in an outbox or inbox), oldest first, at most `limit` per host and box. */
    readonly pending: (limit: number) => Effect.Effect<ReadonlyArray<BoxRow>, PersistenceError>
    /** Puts a parked message back; false when nothing is parked under that id. */
    readonly redrive: (id: string) => Effect.Effect<boolean, PersistenceError>
    /** The flow (correlation id) a message belongs to, if any host recorded or holds it. */
    readonly locate: (messageId: string) => Effect.Effect<string | undefined, PersistenceError>
    /** Everything recorded about one flow: every host's audit entries of it and its box rows. */
    readonly flow: (correlationId: string) => Effect.Effect<Records, PersistenceError>
    /**
     * One host's audit entries and stored states, all keys or only `keys`, for `Replay.compare` (on PostgreSQL, read
     * from that host's own schema only). Fails when the host is not part of the deployment or a stored state does not
     * decode with its definition.
     */
    readonly replayInputs: (
      host: string,
      keys?: ReadonlyArray<string>
    ) => Effect.Effect<ReplayInputs, PersistenceError>
    /** The last `limit` audit entries of each host, and every row waiting or parked in a box. */
    readonly recent: (limit: number) => Effect.Effect<Records, PersistenceError>
  }
>() {}
