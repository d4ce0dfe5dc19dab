import { Duration } from "effect"
import type { MessageId } from "../runtime/Envelope.js"
import * as MessageIds from "./MessageIds.js"

/**
 * A message a decision schedules for later: delivered at an instant (`at`, epoch milliseconds) or a duration after
 * the decision (`after`), to the host that consumes its type (the deciding host itself or another).
 */
export type Scheduled<M> =
  | { readonly message: M; readonly at: number }
  | { readonly message: M; readonly after: Duration.DurationInput }

/**
 * What a pure `decide` returns for one handled message: the new state (if it changed) and the messages to send, now
 * or later, as data. `Later` is the type of the messages it may schedule (none unless given).
 */
export interface Decision<S, Ev, Cmd, Later = never> {
  /** The key's new state; absent when the message changes nothing. */
  readonly state?: S
  /** Integration events to publish, in order. */
  readonly events: ReadonlyArray<Ev>
  /** Outbound commands to dispatch to the host that consumes them, in order. */
  readonly commands: ReadonlyArray<Cmd>
  /**
   * Messages to deliver later, committed with the rest; the `i`-th gets the id `scheduledId(context, i)`, so a
   * redelivered decision schedules nothing twice.
   */
  readonly scheduled?: ReadonlyArray<Scheduled<Later>>
  /** Ids of messages scheduled earlier (by any decision of this host) that must not be delivered any more. */
  readonly cancelled?: ReadonlyArray<string>
}

/** Facts a `decide` function may use that it must not generate itself: the handled message's id and time. */
export interface DecideContext {
  /** Id of the message being handled; stable across redeliveries, so usable for idempotency. */
  readonly messageId: MessageId
  /** When the handled message occurred, in epoch milliseconds (a scheduled message occurs at its due time). */
  readonly now: number
}

/** A decision that changes nothing and sends nothing. */
export const none: Decision<never, never, never> = { events: [], commands: [] }

// One empty list for every decision that sends nothing of a kind (the memory boundary's audit keeps the lists).
const nothing: ReadonlyArray<never> = Object.freeze([])

/** Builds a decision; omitted parts are empty. */
export const make = <S = never, Ev = never, Cmd = never, Later = never>(parts: {
  readonly state?: S | undefined
  readonly events?: ReadonlyArray<Ev> | undefined
  readonly commands?: ReadonlyArray<Cmd> | undefined
  readonly scheduled?: ReadonlyArray<Scheduled<Later>> | undefined
  readonly cancelled?: ReadonlyArray<string> | undefined
}): Decision<S, Ev, Cmd, Later> => {
  const base = { events: parts.events ?? nothing, commands: parts.commands ?? nothing }
  const withState = parts.state === undefined ? base : { state: parts.state, ...base }
  const scheduled = parts.scheduled !== undefined && parts.scheduled.length > 0 ? parts.scheduled : undefined
  const cancelled = parts.cancelled !== undefined && parts.cancelled.length > 0 ? parts.cancelled : undefined
  return {
    ...withState,
    ...(scheduled === undefined ? {} : { scheduled }),
    ...(cancelled === undefined ? {} : { cancelled })
  }
}

/** A message to deliver at an instant (epoch milliseconds); one due in the past is delivered at once. */
export const at = <M>(instant: number, message: M): Scheduled<M> => ({ message, at: instant })

/** A message to deliver a duration after the decision commits. */
export const after = <M>(duration: Duration.DurationInput, message: M): Scheduled<M> => ({
  message,
  after: duration
})

/** The id the `index`-th scheduled message of the decision on the message `context` names gets (for cancelling it). */
export const scheduledId = (context: Pick<DecideContext, "messageId">, index: number): MessageId =>
  MessageIds.deriveScheduled(context.messageId, index)

/** When a scheduled message is due, for a decision committed at `now` (epoch milliseconds). */
export const dueAt = (scheduled: Scheduled<unknown>, now: number): number =>
  "at" in scheduled ? scheduled.at : now + Duration.toMillis(Duration.decode(scheduled.after))

/** True when the decision changes no state, sends no message and schedules or cancels nothing. */
export const isEmpty = (decision: Decision<unknown, unknown, unknown, unknown>): boolean =>
  decision.state === undefined &&
  decision.events.length === 0 &&
  decision.commands.length === 0 &&
  (decision.scheduled?.length ?? 0) === 0 &&
  (decision.cancelled?.length ?? 0) === 0
