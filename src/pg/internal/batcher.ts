import { Deferred, Effect, Exit, Queue } from "effect"
import type { Scope } from "effect"

/**
 * Group commit: requests arriving while a batch is being written are collected and written together
 * by one fiber, so a database round trip serves many callers. Each caller gets its own result.
 */
export const make = <A, B, E>(
  run: (batch: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<Exit.Exit<B, E>>, E>,
  options: { readonly maxBatch: number; readonly workers?: number }
): Effect.Effect<(request: A) => Effect.Effect<B, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<readonly [A, Deferred.Deferred<B, E>]>()
    yield* Effect.addFinalizer(() => Queue.shutdown(queue))

    const worker = Effect.forever(
      Effect.flatMap(Queue.takeBetween(queue, 1, options.maxBatch), (chunk) => {
        const entries = [...chunk]
        return Effect.flatMap(Effect.exit(run(entries.map(([request]) => request))), (exit) =>
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
        )
      })
    )
    for (let i = 0; i < (options.workers ?? 1); i++) yield* Effect.forkScoped(worker)

    return (request: A) =>
      Effect.flatMap(Deferred.make<B, E>(), (deferred) =>
        Effect.zipRight(Queue.offer(queue, [request, deferred] as const), Deferred.await(deferred))
      )
  })
