import { Deferred, Effect, Exit, FiberId } from "effect"

/**
 * A synchronous counter of outstanding work with a signal when it reaches zero. Updated from the hot path
 * without allocating; waiters share one Deferred that is completed at the next zero.
 */
export class Pending {
  value = 0
  private waiter: Deferred.Deferred<void> | undefined = undefined

  constructor(private readonly parent?: Pending) {}

  add(n: number): void {
    this.value += n
    if (this.parent !== undefined) this.parent.add(n)
    if (this.value === 0 && this.waiter !== undefined) {
      const waiter = this.waiter
      this.waiter = undefined
      Deferred.unsafeDone(waiter, Exit.void)
    }
  }

  /** Completes when the counter is (or next becomes) zero. */
  readonly awaitZero: Effect.Effect<void> = Effect.suspend(() => {
    if (this.value === 0) return Effect.void
    if (this.waiter === undefined) this.waiter = Deferred.unsafeMake<void>(FiberId.none)
    return Deferred.await(this.waiter)
  })
}
