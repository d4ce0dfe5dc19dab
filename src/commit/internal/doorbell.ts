import { type Duration, Effect } from "effect"

/**
 * The wake-ups of a relay loop: how often it was rung, and the loops waiting for a ring.
 *
 * A loop notes the count before a round and, when the round finds nothing more to do, waits only for rings that
 * came after that: a ring means "something was committed", and a round whose statement was sent after the ring
 * sees it. So the two wake-ups of one local commit (this process's signal and its NOTIFY echo, in either order)
 * cost one round, not one round each, unless the second arrives while that round is already under way.
 */
export interface Doorbell {
  readonly ring: () => void
  /** How many times the bell has rung so far. */
  readonly rung: () => number
  /** Waits until the bell has rung more than `seen` times (returns at once if it has), at most `timeout`. */
  readonly waitBeyond: (seen: number, timeout: Duration.Duration) => Effect.Effect<void>
}

export const make = (): Doorbell => {
  let rings = 0
  let waiting: Array<() => void> = []
  const ring = () => {
    rings++
    const woken = waiting
    waiting = []
    for (const wake of woken) wake()
  }
  // The count is checked again where the waiter registers: the fiber that waits starts a scheduler turn after
  // the caller's check, and a ring in between must not be missed.
  const ringAfter = (seen: number) =>
    Effect.async<void>((resume) => {
      if (rings > seen) return resume(Effect.void)
      const wake = () => resume(Effect.void)
      waiting.push(wake)
      return Effect.sync(() => {
        waiting = waiting.filter((other) => other !== wake)
      })
    })
  return {
    ring,
    rung: () => rings,
    waitBeyond: (seen, timeout) =>
      Effect.suspend(() => (rings > seen ? Effect.void : Effect.race(ringAfter(seen), Effect.sleep(timeout))))
  }
}
