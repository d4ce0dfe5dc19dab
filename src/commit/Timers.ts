import { Context, Effect } from "effect"
import type { PersistenceError } from "./CommitBoundary.js"

/** A message a decision scheduled that has not been delivered yet (due in the future, or overdue). */
export interface PendingTimer {
  readonly messageId: string
  /** The host whose decision scheduled it. */
  readonly host: string
  /** The host it is for. */
  readonly destination: string
  readonly type: string
  readonly key: string
  /** When it is due, in epoch milliseconds. */
  readonly dueAt: number
  /** The message whose handling scheduled it. */
  readonly causationId: string
  readonly correlationId: string
}

/** The messages scheduled for later in a deployment, whichever boundary holds them. */
export class Timers extends Context.Tag("mailroom/commit/Timers")<
  Timers,
  {
    /** Scheduled messages not yet delivered, soonest first. */
    readonly pending: Effect.Effect<ReadonlyArray<PendingTimer>, PersistenceError>
  }
>() {}

/** Scheduled messages not yet delivered, soonest first (none when the deployment has no timers service). */
export const pending: Effect.Effect<ReadonlyArray<PendingTimer>, PersistenceError> = Effect.flatMap(
  Effect.serviceOption(Timers),
  (timers) => (timers._tag === "Some" ? timers.value.pending : Effect.succeed([]))
)

/** Pending timers that are due at `now` or earlier: overdue, not yet delivered. */
export const overdue = (timers: ReadonlyArray<PendingTimer>, now: number): ReadonlyArray<PendingTimer> =>
  timers.filter((timer) => timer.dueAt <= now)

/** Soonest first, then by id: the order every listing of timers uses. */
export const order = (a: PendingTimer, b: PendingTimer): number =>
  a.dueAt - b.dueAt || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0)
