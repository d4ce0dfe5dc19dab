import { Clock, Context, Duration, Effect, Layer } from "effect"

/** The sandbox's clock: real time, and in memory mode real time plus what `clock advance` added. */
export class SandboxClock extends Context.Tag("mailroom/sandbox/SandboxClock")<
  SandboxClock,
  {
    /** True when `advance` can move it (memory mode); Postgres mode runs on real time. */
    readonly adjustable: boolean
    /** The time now, in epoch milliseconds. */
    readonly now: Effect.Effect<number>
    /** How far `advance` has moved the clock ahead of real time, in milliseconds. */
    readonly offset: Effect.Effect<number>
    /** Moves the clock ahead (memory mode only): everything sleeping until then wakes, timers due by then fire. */
    readonly advance: (by: Duration.Duration) => Effect.Effect<number>
  }
>() {}

/**
 * A `Clock` that runs on real time plus an offset `advance` adds to: a sleep ends when real time reaches its end, or
 * when an advance moves the clock past it. Backoffs and timeouts keep running on real time meanwhile.
 */
export const makeAdjustable = Effect.sync(() => {
  const base = Clock.make()
  let offset = 0
  let waiters: Array<() => void> = []
  const now = () => base.unsafeCurrentTimeMillis() + offset
  // Resolves at the next advance.
  const nextAdvance = Effect.async<void>((resume) => {
    const wake = () => resume(Effect.void)
    waiters.push(wake)
    return Effect.sync(() => {
      waiters = waiters.filter((other) => other !== wake)
    })
  })
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: now,
    unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n,
    currentTimeMillis: Effect.sync(now),
    currentTimeNanos: Effect.sync(() => base.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n),
    sleep: (duration) =>
      Effect.suspend(() => {
        const until = now() + Duration.toMillis(duration)
        const rest: Effect.Effect<void> = Effect.suspend(() => {
          const left = until - now()
          return left <= 0
            ? Effect.void
            : Effect.zipRight(Effect.raceFirst(base.sleep(Duration.millis(left)), nextAdvance), rest)
        })
        return rest
      })
  }
  const service = SandboxClock.of({
    adjustable: true,
    now: Effect.sync(now),
    offset: Effect.sync(() => offset),
    advance: (by) =>
      Effect.sync(() => {
        offset += Math.max(0, Duration.toMillis(by))
        const woken = waiters
        waiters = []
        for (const wake of woken) wake()
        return now()
      })
  })
  return { clock, service }
})

/** Real time, not adjustable (Postgres mode: timers are rows whose due time the database's clock judges). */
export const layerReal: Layer.Layer<SandboxClock> = Layer.succeed(
  SandboxClock,
  SandboxClock.of({
    adjustable: false,
    now: Clock.currentTimeMillis,
    offset: Effect.succeed(0),
    advance: () => Clock.currentTimeMillis
  })
)
