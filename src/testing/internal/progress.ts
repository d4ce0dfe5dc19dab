import { Clock, Data, Duration, Effect, Either } from "effect"
import * as Application from "../../commit/Application.js"
import type { PersistenceError } from "../../commit/CommitBoundary.js"

/** A look at work under way: whether it is done, and a count that grows whenever the work moves forward. */
export interface Look {
  readonly done: boolean
  readonly progress: number
}

/** How long a wait on real I/O may see nothing move, and how often it looks. */
export interface WaitOptions {
  /** How long nothing may move before the wait fails (default 60 seconds). */
  readonly stall?: Duration.DurationInput
  /** Pause between two looks (default 20 milliseconds). */
  readonly interval?: Duration.DurationInput
}

/** Nothing moved for `stallMillis` while waiting for `what`. */
export class Stalled extends Data.TaggedError("Stalled")<{
  readonly what: string
  readonly stallMillis: number
  readonly progress: number
  readonly message: string
}> {}

/**
 * Looks until the work is done, on the live clock. It fails only when the work's progress has not grown for
 * `stall`: on a loaded machine work is slower, not stuck, so the total time is not limited (the test runner's
 * timeout stays the backstop). Under the TestClock the stall never ends: use `TestApp.settle` there.
 */
export const until = <E, R>(
  what: string,
  look: Effect.Effect<Look, E, R>,
  options: WaitOptions = {}
): Effect.Effect<void, E | Stalled, R> =>
  Effect.gen(function* () {
    const stallMillis = Duration.toMillis(options.stall ?? defaultStall)
    const interval = options.interval ?? Duration.millis(20)
    let best = Number.NEGATIVE_INFINITY
    let movedAt = yield* Clock.currentTimeMillis
    while (true) {
      const { done, progress } = yield* look
      if (done) return
      const now = yield* Clock.currentTimeMillis
      if (progress > best) {
        best = progress
        movedAt = now
      } else if (now - movedAt >= stallMillis) {
        return yield* new Stalled({
          what,
          stallMillis,
          progress,
          message: `nothing moved for ${stallMillis} ms (progress stuck at ${progress}): ${what}`
        })
      }
      yield* Effect.sleep(interval)
    }
  })

/** A count that grows whenever one of the application's hosts finishes an attempt (a reply, a defect, a parking). */
export const attempts: Effect.Effect<number, never, Application.Application> = Effect.flatMap(
  Application.Application,
  (app) =>
    Effect.map(app.stats, (stats) =>
      stats.reduce((sum, s) => sum + s.processed + s.defects + s.restarts + s.parked, 0)
    )
)

/**
 * Waits on the live clock until the application has converged (`Application.settle`), failing with
 * `SettleTimeout` only when nothing moved for `stall`: no host finished a message successfully and the work left
 * (queued, in flight, committed and not delivered) reached no new low. Retries that keep failing are not progress.
 */
export const settle = (
  options: { readonly stall?: Duration.DurationInput; readonly timers?: Application.SettleTimers } = {}
): Effect.Effect<void, Application.SettleTimeout | PersistenceError, Application.Application> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const stall = Duration.decode(options.stall ?? defaultStall)
    // One look waits for convergence for a while itself; a look that converges ends the wait at once.
    const window = Duration.min(stall, Duration.seconds(1))
    let last: Application.SettleTimeout | undefined
    let firstLeft: number | undefined
    let lowestLeft = Number.POSITIVE_INFINITY
    const look = Effect.gen(function* () {
      const settled = yield* Effect.either(
        app.settle({ timeout: window, ...(options.timers === undefined ? {} : { timers: options.timers }) })
      )
      if (Either.isRight(settled)) return { done: true, progress: 0 }
      if (settled.left._tag !== "SettleTimeout") return yield* settled.left
      last = settled.left
      const stats = yield* app.stats
      const succeeded = stats.reduce((sum, s) => sum + s.processed - s.failed, 0)
      // Unknown figures (-1, a backlog that could not be read) say nothing about the work left.
      if (last.pending >= 0 && last.backlog >= 0) {
        const left = last.pending + last.backlog
        firstLeft ??= left
        lowestLeft = Math.min(lowestLeft, left)
      }
      return { done: false, progress: succeeded + (firstLeft === undefined ? 0 : firstLeft - lowestLeft) }
    })
    yield* until("the application to settle", look, { stall, interval: Duration.zero }).pipe(
      Effect.catchTag("Stalled", (stalled) =>
        Effect.fail(
          new Application.SettleTimeout({
            timeoutMillis: stalled.stallMillis,
            pending: last?.pending ?? -1,
            backlog: last?.backlog ?? -1
          })
        )
      )
    )
  })

// internal

const defaultStall = Duration.seconds(60)
