import { Deferred, Effect, Exit, Queue } from "effect"
import type { Scope } from "effect"

/** Options of a group-commit batcher. */
export interface BatcherOptions {
  /** Most requests written together. */
  readonly maxBatch: number
  /** Batches in flight at once. */
  readonly workers?: number
  /**
   * Scheduler turns a worker waits after taking the first request of a batch, so requests that other fibers are
   * about to offer in the same wave join it (default 2). Costs microseconds; saves a round trip per joined request.
   */
  readonly linger?: number
}

/**
 * Group commit: requests arriving while a batch is being written are collected and written together
 * by one fiber, so a database round trip serves many callers. Each caller gets its own result.
 */
export const make = <A, B, E>(
  /** Writes one batch; `worker` (0 … workers-1) names the fiber running it, e.g. to use its own connection. */
  run: (batch: ReadonlyArray<A>, worker: number) => Effect.Effect<ReadonlyArray<Exit.Exit<B, E>>, E>,
  options: BatcherOptions
): Effect.Effect<(request: A) => Effect.Effect<B, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<readonly [A, Deferred.Deferred<B, E>]>()
    yield* Effect.addFinalizer(() => Queue.shutdown(queue))
    const linger = options.linger ?? 2
    const take = Effect.flatMap(Queue.takeBetween(queue, 1, options.maxBatch), (first) =>
      linger === 0 || first.length >= options.maxBatch
        ? Effect.succeed([...first])
        : Effect.map(
            Effect.zipRight(
              Effect.repeatN(Effect.yieldNow(), linger - 1),
              Queue.takeUpTo(queue, options.maxBatch - first.length)
            ),
            (more) => [...first, ...more]
          )
    )

    const settle =
      (entries: ReadonlyArray<readonly [A, Deferred.Deferred<B, E>]>) =>
      (exit: Exit.Exit<ReadonlyArray<Exit.Exit<B, E>>, E>) =>
        Effect.sync(() => {
          for (let i = 0; i < entries.length; i++) {
            const deferred = entries[i]![1]
            if (Exit.isSuccess(exit)) {
              const result = exit.value[i]
              Deferred.unsafeDone(deferred, result ?? Exit.die(new Error("batch returned too few results")))
            } else {
              Deferred.unsafeDone(deferred, exit as Exit.Exit<never, E>)
            }
          }
        })

    const worker = (index: number) =>
      Effect.forever(
        Effect.flatMap(take, (entries) =>
          Effect.flatMap(
            Effect.exit(
              run(
                entries.map(([request]) => request),
                index
              )
            ),
            settle(entries)
          )
        )
      )
    for (let i = 0; i < (options.workers ?? 1); i++) yield* Effect.forkScoped(worker(i))

    return (request: A) =>
      Effect.flatMap(Deferred.make<B, E>(), (deferred) =>
        Effect.zipRight(Queue.offer(queue, [request, deferred] as const), Deferred.await(deferred))
      )
  })
