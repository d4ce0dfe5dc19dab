import * as assert from "node:assert/strict"
import type * as Decision from "../../commit/Decision.js"
import type { DecodeFailure, HostDefinition } from "../../commit/HostDefinition.js"
import * as Envelope from "../../runtime/Envelope.js"

/** A pure decide function and how to build its context from what the envelope carries (the host edge's job). */
export interface Decider<S, M, Ev, Cmd, Ctx> {
  readonly decide: (state: S | undefined, message: M, ctx: Ctx) => Decision.Decision<S, Ev, Cmd, unknown>
  readonly context: (messageId: Envelope.MessageId, occurredAt: number) => Ctx
}

/** A decide function that takes the plain context every host edge builds (message id and time). */
export type Decide<S, M, Ev, Cmd> = (
  state: S | undefined,
  message: M,
  ctx: Decision.DecideContext
) => Decision.Decision<S, Ev, Cmd, unknown>

/** What a specification is written for: a host definition, a decide function, or a decider with its own context. */
export type Subject<S, M, Ev, Cmd, Ctx> =
  | HostDefinition<S, M, Ev, Cmd, DecodeFailure>
  | Decide<S, M, Ev, Cmd>
  | Decider<S, M, Ev, Cmd, Ctx>

/** A message handed to decide with a chosen id; deliver the same delivery twice to simulate a redelivery. */
export class Delivery<M> {
  constructor(
    readonly message: M,
    readonly messageId: Envelope.MessageId,
    /** When the message occurred; when absent, 1000 × its position in the history. */
    readonly occurredAt?: number
  ) {}
}

/** What one message did: the state before, the decision, and the state after. */
export interface Step<S, M, Ev, Cmd> {
  readonly message: M
  readonly messageId: Envelope.MessageId
  /** When the message occurred (the context's time). */
  readonly occurredAt: number
  readonly before: S | undefined
  readonly decision: Decision.Decision<S, Ev, Cmd, unknown>
  readonly after: S | undefined
}

/** Assertions on the outcome of the `when` message; each returns the same object so they chain. */
export interface Then<S, M, Ev, Cmd> extends Step<S, M, Ev, Cmd> {
  /** Exactly these events and commands, in order (an omitted list means none). */
  readonly thenEmits: (expected: {
    readonly events?: ReadonlyArray<Ev>
    readonly commands?: ReadonlyArray<Cmd>
  }) => Then<S, M, Ev, Cmd>
  /** Exactly these messages scheduled for later and these scheduled ids cancelled (an omitted list means none). */
  readonly thenSchedules: (expected: {
    readonly scheduled?: ReadonlyArray<Decision.Scheduled<unknown>>
    readonly cancelled?: ReadonlyArray<string>
  }) => Then<S, M, Ev, Cmd>
  /** No new state, no events, no commands, nothing scheduled or cancelled. */
  readonly thenNothing: () => Then<S, M, Ev, Cmd>
  /** The state after equals `expected`, or passes the check. */
  readonly thenState: (expected: S | ((state: S | undefined) => void)) => Then<S, M, Ev, Cmd>
}

/** A history of messages already handled, ready for the message under test. */
export interface Given<S, M, Ev, Cmd> {
  /** The state the history left. */
  readonly state: S | undefined
  /** Every step of the history. */
  readonly steps: ReadonlyArray<Step<S, M, Ev, Cmd>>
  /** Handles one more message (id `when` unless given with `withId`). */
  readonly when: (message: M | Delivery<M>) => Then<S, M, Ev, Cmd>
}

/** The state and steps of a run of deliveries. */
export interface Run<S, M, Ev, Cmd> {
  readonly state: S | undefined
  readonly steps: ReadonlyArray<Step<S, M, Ev, Cmd>>
}

/** Given/when/then for one decide function, and the runs property tests build on. */
export interface Specification<S, M, Ev, Cmd> {
  /** Messages already handled, in order (ids `given-1`, `given-2`, ... unless given with `withId`). */
  readonly given: (...history: ReadonlyArray<M | Delivery<M>>) => Given<S, M, Ev, Cmd>
  /** Handles deliveries in order from `initial`, threading the state: the building block for property tests. */
  readonly run: (deliveries: ReadonlyArray<Delivery<M>>, initial?: S) => Run<S, M, Ev, Cmd>
  /** Handles one delivery against a state; `index` (its position in a history) gives its default time. */
  readonly apply: (before: S | undefined, delivery: Delivery<M>, index?: number) => Step<S, M, Ev, Cmd>
}

/** The specification of a subject (see `GivenWhenThen.for`). */
export const make = <S, M, Ev, Cmd, Ctx>(
  subject: Subject<S, M, Ev, Cmd, Ctx>
): Specification<S, M, Ev, Cmd> => {
  const decider = deciderOf(subject)
  const apply = (before: S | undefined, delivery: Delivery<M>, index = 0): Step<S, M, Ev, Cmd> => {
    const occurredAt = delivery.occurredAt ?? 1_000 * index
    const decision = decider.decide(before, delivery.message, decider.context(delivery.messageId, occurredAt))
    return {
      message: delivery.message,
      messageId: delivery.messageId,
      occurredAt,
      before,
      decision,
      after: decision.state ?? before
    }
  }
  const run = (deliveries: ReadonlyArray<Delivery<M>>, initial?: S): Run<S, M, Ev, Cmd> => {
    let state: S | undefined = initial
    const steps: Array<Step<S, M, Ev, Cmd>> = []
    deliveries.forEach((delivery, i) => {
      const step = apply(state, delivery, i)
      steps.push(step)
      state = step.after
    })
    return { state, steps }
  }
  return {
    given: (...history) => {
      const { state, steps } = run(history.map((m, i) => toDelivery(m, `given-${i + 1}`)))
      return {
        state,
        steps,
        when: (message) => thenFor(apply(state, toDelivery(message, "when"), history.length))
      }
    },
    run,
    apply
  }
}

/** Delivers `message` with the id `messageId` (and, optionally, the time it occurred). */
export const withId = <M>(messageId: string, message: M, occurredAt?: number): Delivery<M> =>
  new Delivery(message, Envelope.MessageId.make(messageId), occurredAt)

// internal

/** The context the host edge builds from an envelope: its id and when it occurred. */
const plainContext = (messageId: Envelope.MessageId, occurredAt: number): Decision.DecideContext => ({
  messageId,
  now: occurredAt
})

const deciderOf = <S, M, Ev, Cmd, Ctx>(subject: Subject<S, M, Ev, Cmd, Ctx>): Decider<S, M, Ev, Cmd, any> =>
  typeof subject === "function"
    ? { decide: subject, context: plainContext }
    : "context" in subject
      ? subject
      : { decide: subject.decide, context: plainContext }

const toDelivery = <M>(message: M | Delivery<M>, defaultId: string): Delivery<M> =>
  message instanceof Delivery ? message : withId(defaultId, message)

const thenFor = <S, M, Ev, Cmd>(step: Step<S, M, Ev, Cmd>): Then<S, M, Ev, Cmd> => {
  const self: Then<S, M, Ev, Cmd> = {
    ...step,
    thenEmits: (expected) => {
      assert.deepStrictEqual(step.decision.events, expected.events ?? [], "events")
      assert.deepStrictEqual(step.decision.commands, expected.commands ?? [], "commands")
      return self
    },
    thenSchedules: (expected) => {
      assert.deepStrictEqual(step.decision.scheduled ?? [], expected.scheduled ?? [], "scheduled")
      assert.deepStrictEqual(step.decision.cancelled ?? [], expected.cancelled ?? [], "cancelled")
      return self
    },
    thenNothing: () => {
      assert.strictEqual(step.decision.state, undefined, "state must not change")
      assert.deepStrictEqual(step.decision.events, [], "events")
      assert.deepStrictEqual(step.decision.commands, [], "commands")
      assert.deepStrictEqual(step.decision.scheduled ?? [], [], "scheduled")
      assert.deepStrictEqual(step.decision.cancelled ?? [], [], "cancelled")
      return self
    },
    thenState: (expected) => {
      if (typeof expected === "function") (expected as (state: S | undefined) => void)(step.after)
      else assert.deepStrictEqual(step.after, expected, "state")
      return self
    }
  }
  return self
}
