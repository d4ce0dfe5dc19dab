import { Effect } from "effect"

/**
 * Runs `callers` concurrent loops of `op` for about `seconds` and returns completed operations per second.
 * Each caller runs its operations one after another; `op` receives the caller's index.
 */
export const runFor = <E, R>(
  seconds: number,
  callers: number,
  op: (caller: number) => Effect.Effect<unknown, E, R>,
  latencies?: Array<number>
): Effect.Effect<number, E, R> =>
  Effect.suspend(() => {
    const start = performance.now()
    const deadline = start + seconds * 1000
    let count = 0
    const loop = (caller: number) =>
      Effect.whileLoop({
        while: () => performance.now() < deadline,
        body: () =>
          latencies === undefined
            ? op(caller)
            : Effect.suspend(() => {
                const t0 = performance.now()
                return Effect.tap(op(caller), () => {
                  latencies.push(performance.now() - t0)
                })
              }),
        step: () => {
          count++
        }
      })
    return Effect.map(
      Effect.forEach(
        Array.from({ length: callers }, (_, c) => c),
        loop,
        { concurrency: "unbounded", discard: true }
      ),
      () => (count / (performance.now() - start)) * 1000
    )
  })
