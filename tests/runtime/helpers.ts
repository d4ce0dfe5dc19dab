import { Cause, Duration, Effect, HashMap, Logger, type LogLevel, Schedule, TestClock } from "effect"
import type * as Actor from "../../src/runtime/Actor.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import type * as Supervisor from "../../src/runtime/Supervisor.js"

/** Lets other fibers run (scheduler yields, no clock) until `check` holds; false if it never does. */
export const eventually = (check: () => boolean, yields = 500): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    for (let i = 0; i < yields; i++) {
      if (check()) return true
      yield* Effect.yieldNow()
    }
    return check()
  })

/** Lets other fibers run until the actor's stats satisfy `check`; dies if they never do. */
export const untilStats = (
  ref: { readonly stats: Effect.Effect<Actor.ActorStats> },
  check: (stats: Actor.ActorStats) => boolean,
  yields = 500
): Effect.Effect<Actor.ActorStats> =>
  Effect.gen(function* () {
    for (let i = 0; i < yields; i++) {
      const stats = yield* ref.stats
      if (check(stats)) return stats
      yield* Effect.yieldNow()
    }
    return yield* Effect.die(new Error(`stats never matched: ${JSON.stringify(yield* ref.stats)}`))
  })

/** Lets other fibers run for a while without touching the clock. */
export const letRun = (yields = 200): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (let i = 0; i < yields; i++) yield* Effect.yieldNow()
  })

/** Runs the system to quiescence under the TestClock, moving time forward in steps while work is pending. */
export const settle = (step: Duration.DurationInput = Duration.millis(10), maxSteps = 10_000) =>
  Effect.gen(function* () {
    const system = yield* ActorSystem.ActorSystem
    for (let i = 0; i < maxSteps; i++) {
      yield* letRun(20)
      if ((yield* system.pending) === 0) return
      yield* TestClock.adjust(step)
    }
    return yield* Effect.die(`system did not settle within ${maxSteps} steps`)
  })

/** A deterministic backoff for tests: a fixed delay between restarts, no jitter. */
export const fixedBackoff = (delay: Duration.DurationInput): Partial<Supervisor.SupervisionPolicy> => ({
  backoff: Schedule.spaced(delay)
})

/** A logged line captured by `captureLogs`. */
export interface LoggedLine {
  readonly level: LogLevel.LogLevel
  readonly message: string
  readonly cause: string
  readonly annotations: Record<string, unknown>
}

/** A logger layer that records every line into `lines`. */
export const captureLogs = (lines: Array<LoggedLine>) =>
  Logger.add(
    Logger.make(({ annotations, cause, logLevel, message }) => {
      lines.push({
        level: logLevel,
        message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
        cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause),
        annotations: Object.fromEntries(HashMap.toEntries(annotations))
      })
    })
  )
