import { Context, Effect, Metric } from "effect"
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

/** One host's scheduled messages by where they stand: not due yet, or due and not delivered yet. */
export interface TimerCounts {
  readonly host: string
  /** Scheduled by the host and not due yet. */
  readonly scheduled: number
  /** Due at or before now and not delivered yet. */
  readonly overdue: number
}

/**
 * Pending timers counted per scheduling host at `now`: the hosts listed in `hosts` come first (with zeros when they
 * have none), then any other host that scheduled something, by name.
 */
export const counts = (
  timers: ReadonlyArray<PendingTimer>,
  now: number,
  hosts: ReadonlyArray<string> = []
): ReadonlyArray<TimerCounts> => {
  const byHost = new Map<string, { scheduled: number; overdue: number }>(
    hosts.map((host) => [host, { scheduled: 0, overdue: 0 }])
  )
  for (const timer of timers) {
    const entry = byHost.get(timer.host) ?? { scheduled: 0, overdue: 0 }
    if (timer.dueAt <= now) entry.overdue++
    else entry.scheduled++
    byHost.set(timer.host, entry)
  }
  const others = [...byHost.keys()].filter((host) => !hosts.includes(host)).sort()
  return [...hosts, ...others].map((host) => ({ host, ...byHost.get(host)! }))
}

/** Messages a host scheduled that are not due yet, per host. */
export const timersScheduled = Metric.gauge("mailroom_timers_scheduled", {
  description: "Scheduled messages not due yet"
})
/** Messages a host scheduled that fell due and are not delivered yet, per host. */
export const timersOverdue = Metric.gauge("mailroom_timers_overdue", {
  description: "Scheduled messages due in the past and not delivered yet"
})

/** Sets the scheduled and overdue gauges of one host. */
export const setGauges = (counts: TimerCounts): Effect.Effect<void> =>
  Effect.zipRight(
    Metric.set(Metric.tagged(timersScheduled, "host", counts.host), counts.scheduled),
    Metric.set(Metric.tagged(timersOverdue, "host", counts.host), counts.overdue)
  )
