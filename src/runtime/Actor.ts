import type { Cause, Duration, Effect } from "effect"
import { Schema } from "effect"
import type { SupervisionPolicy } from "./Supervisor.js"

/** The supervision policy type, re-exported so actor options can be written against this module alone. */
export type { SupervisionPolicy } from "./Supervisor.js"

/** A key's mailbox is full: the message was not enqueued and the sender must decide (retry, shed, report). */
export class MailboxFull extends Schema.TaggedError<MailboxFull>("mailroom/runtime/MailboxFull")(
  "MailboxFull",
  {
    actor: Schema.String,
    key: Schema.String,
    capacity: Schema.Number
  }
) {}

/** The actor (or this key's child) no longer accepts messages: it is shutting down or spent its restart budget. */
export class ActorStopped extends Schema.TaggedError<ActorStopped>("mailroom/runtime/ActorStopped")(
  "ActorStopped",
  {
    actor: Schema.String,
    key: Schema.String,
    reason: Schema.String
  }
) {}

/** The asked message was parked (dead-lettered) instead of being handled; it can be redriven by `parkedId`. */
export class MessageParked extends Schema.TaggedError<MessageParked>("mailroom/runtime/MessageParked")(
  "MessageParked",
  {
    actor: Schema.String,
    key: Schema.String,
    parkedId: Schema.String,
    attempts: Schema.Number,
    cause: Schema.String
  }
) {}

/** No parked message has this id (never parked, or already redriven). */
export class NotParked extends Schema.TaggedError<NotParked>("mailroom/runtime/NotParked")("NotParked", {
  actor: Schema.String,
  parkedId: Schema.String
}) {}

/** Options of one actor; unset values come from the actor system's defaults. */
export interface ActorOptions<Msg> {
  /** Name used in errors, stats, logs and metric tags. */
  readonly name: string
  /** Bounded mailbox size per key (default 1024). */
  readonly mailboxCapacity?: number
  /** How many keys may run their handler at the same time (default unbounded). */
  readonly maxConcurrentKeys?: number
  /** A key's child with nothing to do for this long is passivated: its fiber ends (default 30 seconds). */
  readonly idleTimeout?: Duration.DurationInput
  /** How long closing the actor's scope waits for mailboxes to drain before interrupting (default: the system's). */
  readonly shutdownTimeout?: Duration.DurationInput
  /** Overrides merged over the system's default supervision policy. */
  readonly supervision?: Partial<SupervisionPolicy>
  /** A short description of a message for parked listings and log lines. */
  readonly describe?: (message: Msg) => string
}

/** What an actor does with one message of one key: its success is the reply, its typed failure a failed reply. */
export type Behaviour<Msg, A, E> = (key: string, message: Msg) => Effect.Effect<A, E>

/** A handle on a running actor: send, ask, inspect and redrive parked messages. */
export interface ActorRef<Msg, A, E> {
  readonly name: string
  /** Enqueues the message for its key and returns once enqueued. */
  tell(key: string, message: Msg): Effect.Effect<void, MailboxFull | ActorStopped>
  /** Enqueues the message and waits for the handler's reply or typed failure. */
  ask(key: string, message: Msg): Effect.Effect<A, E | MailboxFull | ActorStopped | MessageParked>
  /** Messages currently parked, oldest first. */
  readonly parked: Effect.Effect<ReadonlyArray<ParkedMessage<Msg>>>
  /** Re-enqueues a parked message with its attempts reset and removes it from the parked list. */
  redrive(parkedId: string): Effect.Effect<void, NotParked | MailboxFull | ActorStopped>
  /**
   * Drops a parked message without running it, because another owner keeps it (a durable relay that will
   * redeliver it); when it was the key's last parked message, a key stopped by its restart budget may run again.
   */
  discard(parkedId: string): Effect.Effect<void, NotParked>
  /** A snapshot of this actor's counters. */
  readonly stats: Effect.Effect<ActorStats>
}

/** A dead-lettered message with the cause of its last failure. */
export interface ParkedMessage<Msg> {
  readonly id: string
  readonly actor: string
  readonly key: string
  readonly message: Msg
  /** Handling attempts that died (0 when parked without running because its key's child stopped). */
  readonly attempts: number
  readonly cause: Cause.Cause<unknown>
  /** `Cause.pretty` of `cause`. */
  readonly causeText: string
  /** `describe(message)` when the actor has a `describe` option. */
  readonly description?: string
  /** Clock time of parking, in epoch milliseconds. */
  readonly parkedAt: number
}

/** Counters of one actor, as plain data. */
export interface ActorStats {
  readonly name: string
  /** Messages queued and not yet started. */
  readonly mailboxDepth: number
  /** Messages being handled, including one waiting for its retry after a restart. */
  readonly inFlight: number
  /** Messages handled to a reply (successes and typed failures). */
  readonly processed: number
  /** Typed failures replied (included in `processed`). */
  readonly failed: number
  /** Handler defects (dies, exceptions, interruptions). */
  readonly defects: number
  /** Child restarts after a defect. */
  readonly restarts: number
  /** Keys whose child is waiting for its backoff delay before restarting. */
  readonly restarting: number
  /** Messages currently parked. */
  readonly parked: number
  /** Keys with a live child. */
  readonly activeKeys: number
  /** Live fibers working for keys (0 once every key is passivated). */
  readonly workers: number
  /** Children passivated after their idle timeout. */
  readonly passivations: number
  /** Keys stopped after spending their restart budget (cleared by redriving one of their messages). */
  readonly stoppedKeys: number
  /** True once the actor's scope closed. */
  readonly stopped: boolean
}
