import type { MessageId } from "../runtime/Envelope.js"

/** What a pure `decide` returns for one handled message: the new state (if it changed) and the messages to send, as data. */
export interface Effects<S, Ev, Cmd> {
  /** The key's new state; absent when the message changes nothing. */
  readonly state?: S
  /** Integration events to publish, in order. */
  readonly events: ReadonlyArray<Ev>
  /** Outbound commands to dispatch to the host that consumes them, in order. */
  readonly commands: ReadonlyArray<Cmd>
}

/** Facts a `decide` function may use that it must not generate itself: the handled message's id and time. */
export interface DecideContext {
  /** Id of the message being handled; stable across redeliveries, so usable for idempotency. */
  readonly messageId: MessageId
  /** When the handled message occurred, in epoch milliseconds. */
  readonly now: number
}

/** Effects that change nothing and send nothing. */
export const none: Effects<never, never, never> = { events: [], commands: [] }

// One empty list for every decision that sends nothing of a kind (the memory boundary's audit keeps the lists).
const nothing: ReadonlyArray<never> = Object.freeze([])

/** Builds effects; omitted parts are empty. */
export const make = <S = never, Ev = never, Cmd = never>(parts: {
  readonly state?: S | undefined
  readonly events?: ReadonlyArray<Ev> | undefined
  readonly commands?: ReadonlyArray<Cmd> | undefined
}): Effects<S, Ev, Cmd> =>
  parts.state === undefined
    ? { events: parts.events ?? nothing, commands: parts.commands ?? nothing }
    : { state: parts.state, events: parts.events ?? nothing, commands: parts.commands ?? nothing }

/** True when the effects change no state and send no message. */
export const isEmpty = (effects: Effects<unknown, unknown, unknown>): boolean =>
  effects.state === undefined && effects.events.length === 0 && effects.commands.length === 0
