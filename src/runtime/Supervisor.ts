import { Cause, Duration, Schedule } from "effect"

/** How a per-key child is supervised: backoff between restarts, an intensity budget, and when a message is parked. */
export interface SupervisionPolicy {
  /** Delays between restarts (the schedule is stepped once per restart and reset after a healthy message). */
  readonly backoff: Schedule.Schedule<unknown, unknown>
  /** Intensity budget: at most this many restarts of one key's child ... */
  readonly maxRestarts: number
  /** ... within this window (measured with `Clock`); exceeding it stops the child and escalates. */
  readonly within: Duration.DurationInput
  /** A message whose handling dies this many times is parked (dead letter) and the key moves on. */
  readonly maxAttempts: number
}

/** Something a supervisor could not handle: a key's child spent its restart budget and was stopped. */
export interface Escalation {
  readonly actor: string
  readonly key: string
  /** The defect of the restart that exceeded the budget. */
  readonly cause: Cause.Cause<unknown>
  /** `Cause.pretty` of `cause`. */
  readonly causeText: string
  /** Restarts counted in the window when the budget was spent. */
  readonly restarts: number
  /** Messages parked because the child stopped (the failing one and those still queued). */
  readonly parked: number
  /** Clock time of the escalation, in epoch milliseconds. */
  readonly at: number
}

/** A key's child died handling a message and is restarted: one per restart, in the order they happen. */
export interface Restart {
  readonly actor: string
  readonly key: string
  /** The defect that killed the child. */
  readonly cause: Cause.Cause<unknown>
  /** The message whose handling died. */
  readonly message: unknown
  /** How many times handling that message has died so far. */
  readonly attempts: number
  /** Set when the message was parked under this id instead of being retried (the child moves on without it). */
  readonly parkedId: string | undefined
  /** Restarts of this actor so far, this one included. */
  readonly restarts: number
  /** How long the child waits (backoff) before it runs again. */
  readonly delayMillis: number
  /** Clock time of the death, in epoch milliseconds. */
  readonly at: number
}

/** Default backoff: exponential from 10 ms, jittered, each delay capped at 5 seconds. */
export const defaultBackoff: Schedule.Schedule<unknown, unknown> = Schedule.exponential("10 millis").pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("5 seconds"))
)

/** Default policy: jittered exponential backoff, 10 restarts per 10 seconds per key, park after 3 attempts. */
export const defaultPolicy: SupervisionPolicy = {
  backoff: defaultBackoff,
  maxRestarts: 10,
  within: Duration.seconds(10),
  maxAttempts: 3
}

/** Merges partial overrides over a base policy (later arguments win). */
export const merge = (
  base: SupervisionPolicy,
  ...overrides: ReadonlyArray<Partial<SupervisionPolicy> | undefined>
): SupervisionPolicy => {
  let policy = base
  for (const override of overrides) {
    if (override !== undefined) policy = { ...policy, ...definedOnly(override) }
  }
  if (!(policy.maxAttempts >= 1)) throw new Error(`maxAttempts must be at least 1, got ${policy.maxAttempts}`)
  if (!(policy.maxRestarts >= 0)) throw new Error(`maxRestarts must be at least 0, got ${policy.maxRestarts}`)
  return policy
}

/**
 * True when a handler's failure is a defect that triggers supervision (a die, a thrown exception or an
 * interruption of the handler); false when it is a typed failure, which is a reply.
 */
export const isDefect = (cause: Cause.Cause<unknown>): boolean =>
  Cause.isDie(cause) || Cause.isInterrupted(cause) || !Cause.isFailure(cause)

// internal

const definedOnly = (override: Partial<SupervisionPolicy>): Partial<SupervisionPolicy> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(override)) if (v !== undefined) out[k] = v
  return out as Partial<SupervisionPolicy>
}
