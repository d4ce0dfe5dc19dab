import { pathToFileURL } from "node:url"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { Deferred, Duration, Effect, Exit, Fiber, Queue } from "effect"
import * as ActorSystem from "../src/runtime/ActorSystem.js"

/** One measured figure, printed as one JSON line. */
export interface BenchResult {
  readonly bench: string
  readonly value: number
  readonly unit: string
  readonly baseline?: string
  readonly baselineValue?: number
  readonly ratio?: number
  readonly n?: number
}

/** Runs the runtime benchmarks (tell and ask throughput against raw Effect baselines, memory per key). */
export const runRuntimeBench = (options: {
  readonly quick: boolean
}): Effect.Effect<ReadonlyArray<BenchResult>> =>
  Effect.gen(function* () {
    const n = options.quick ? 100_000 : 1_000_000
    const askN = options.quick ? 50_000 : 300_000
    const idleKeys = options.quick ? 10_000 : 50_000
    const rounds = options.quick ? 3 : 5

    // Warm up every path once so the JIT has seen it. Then run baseline and runtime alternately in each
    // round and keep the best of each, so load from other processes affects both sides alike.
    const suites = [
      rawQueue(n),
      actorTell(n, 4),
      rawAsk(askN),
      rawAskAsync(askN),
      actorAsk(askN, 1),
      actorAsk(askN, 16)
    ] as const
    yield* Effect.forEach(
      [rawQueue(n / 10), actorTell(n / 10, 4), rawAsk(askN / 10), rawAskAsync(askN / 10)],
      (s) => s
    )
    yield* Effect.forEach([actorAsk(askN / 10, 1), actorAsk(askN / 10, 16)], (s) => s)
    const bests = suites.map(() => 0)
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < suites.length; i++) bests[i] = Math.max(bests[i]!, yield* suites[i]!)
    }
    const [raw, tell, rawRoundTrip, rawAsyncRoundTrip, ask, ask16] = bests as [
      number,
      number,
      number,
      number,
      number,
      number
    ]
    const memory = yield* idleMemory(idleKeys)

    const vs = (
      bench: string,
      value: number,
      unit: string,
      baseline: string,
      baselineValue: number,
      count: number
    ) =>
      ({
        bench,
        value: Math.round(value),
        unit,
        baseline,
        baselineValue: Math.round(baselineValue),
        ratio: Math.round((value / baselineValue) * 100) / 100,
        n: count
      }) satisfies BenchResult

    return [
      { bench: "runtime.rawQueue", value: Math.round(raw), unit: "msg/s", n },
      vs("runtime.tell", tell, "msg/s", "runtime.rawQueue", raw, n),
      { bench: "runtime.rawAsk", value: Math.round(rawRoundTrip), unit: "roundtrip/s", n: askN },
      { bench: "runtime.rawAskAsync", value: Math.round(rawAsyncRoundTrip), unit: "roundtrip/s", n: askN },
      vs("runtime.ask", ask, "roundtrip/s", "runtime.rawAsk", rawRoundTrip, askN),
      vs("runtime.ask.vsAsync", ask, "roundtrip/s", "runtime.rawAskAsync", rawAsyncRoundTrip, askN),
      vs("runtime.ask16", ask16, "roundtrip/s", "runtime.rawAskAsync", rawAsyncRoundTrip, askN),
      { bench: "runtime.idleKeyMemory", value: Math.round(memory.idle), unit: "bytes/key", n: idleKeys },
      {
        bench: "runtime.passivatedKeyMemory",
        value: Math.round(memory.passivated),
        unit: "bytes/key",
        n: idleKeys
      }
    ]
  })

// internal

const now = Effect.sync(() => performance.now())

/** A full garbage collection, so heap figures measure live objects only. */
const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    v8.setFlagsFromString("--expose-gc")
    return vm.runInNewContext("gc") as () => void
  })()

/** Rate per second of `count` operations done by `body`, timed with the wall clock. */
const rate = <E, R>(count: number, body: Effect.Effect<void, E, R>) =>
  Effect.gen(function* () {
    const start = yield* now
    yield* body
    const end = yield* now
    return (count / (end - start)) * 1000
  })

/** One producer offers n messages to an Effect Queue; one consumer fiber takes and counts them. */
const rawQueue = (n: number) =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<number>()
    let received = 0
    return yield* rate(
      n,
      Effect.gen(function* () {
        const consumer = yield* Effect.fork(
          Effect.whileLoop({
            while: () => received < n,
            body: () => Queue.take(queue),
            step: () => {
              received++
            }
          })
        )
        let i = 0
        yield* Effect.whileLoop({ while: () => i < n, body: () => Queue.offer(queue, i), step: () => i++ })
        yield* Fiber.join(consumer)
      })
    )
  })

/** n tells spread over a few keys, until every message is handled. */
const actorTell = (n: number, keys: number) =>
  Effect.gen(function* () {
    const system = yield* ActorSystem.ActorSystem
    let handled = 0
    const ref = yield* system.spawn({ name: "bench-tell", mailboxCapacity: n }, (_key, _message: number) =>
      Effect.sync(() => {
        handled++
      })
    )
    const names = Array.from({ length: keys }, (_, k) => `key-${k}`)
    let i = 0
    const result = yield* rate(
      n,
      Effect.zipRight(
        Effect.whileLoop({ while: () => i < n, body: () => ref.tell(names[i % keys]!, i), step: () => i++ }),
        system.awaitQuiescent
      )
    )
    if (handled !== n) return yield* Effect.die(`tell bench handled ${handled} of ${n}`)
    return result
  }).pipe(Effect.orDie, Effect.scoped, Effect.provide(ActorSystem.layer))

/** Ask-style round trips without the runtime: a server fiber takes (request, Deferred) pairs from a Queue. */
const rawAsk = (n: number) =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<readonly [number, Deferred.Deferred<number>]>()
    const server = yield* Effect.fork(
      Effect.whileLoop({
        while: () => true,
        body: () => Effect.flatMap(Queue.take(queue), ([x, reply]) => Deferred.succeed(reply, x * 2)),
        step: () => {}
      })
    )
    let i = 0
    const result = yield* rate(
      n,
      Effect.whileLoop({
        while: () => i < n,
        body: () =>
          Effect.flatMap(Deferred.make<number>(), (reply) =>
            Effect.zipRight(Queue.offer(queue, [i, reply] as const), Deferred.await(reply))
          ),
        step: () => i++
      })
    )
    yield* Fiber.interrupt(server)
    return result
  })

/** Like rawAsk but the reply resumes the caller through an Effect.async callback instead of a Deferred. */
const rawAskAsync = (n: number) =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<readonly [number, (exit: Exit.Exit<number>) => void]>()
    const server = yield* Effect.fork(
      Effect.whileLoop({
        while: () => true,
        body: () => Effect.map(Queue.take(queue), ([x, resume]) => resume(Exit.succeed(x * 2))),
        step: () => {}
      })
    )
    let i = 0
    const result = yield* rate(
      n,
      Effect.whileLoop({
        while: () => i < n,
        body: () =>
          Effect.async<number>((resume) => {
            Queue.unsafeOffer(queue, [i, resume] as const)
          }),
        step: () => i++
      })
    )
    yield* Fiber.interrupt(server)
    return result
  })

/** n asks in total from `callers` concurrent callers, each asking its own key in sequence. */
const actorAsk = (n: number, callers: number) =>
  Effect.gen(function* () {
    const system = yield* ActorSystem.ActorSystem
    const ref = yield* system.spawn({ name: "bench-ask" }, (_key, message: number) =>
      Effect.succeed(message * 2)
    )
    const per = Math.floor(n / callers)
    const caller = (c: number) => {
      const key = `caller-${c}`
      let i = 0
      return Effect.whileLoop({ while: () => i < per, body: () => ref.ask(key, i), step: () => i++ })
    }
    return yield* rate(
      per * callers,
      Effect.forEach(
        Array.from({ length: callers }, (_, c) => c),
        caller,
        {
          concurrency: "unbounded",
          discard: true
        }
      )
    )
  }).pipe(Effect.orDie, Effect.scoped, Effect.provide(ActorSystem.layer))

/** Heap cost of an idle key (child alive, parked) and of a passivated key (should be about zero). */
const idleMemory = (keys: number) =>
  Effect.gen(function* () {
    const system = yield* ActorSystem.ActorSystem
    const heap = Effect.sync(() => {
      gc()
      return process.memoryUsage().heapUsed
    })
    const before = yield* heap
    const ref = yield* system.spawn(
      { name: "bench-idle", idleTimeout: Duration.millis(200) },
      (_key, _m: number) => Effect.void
    )
    for (let k = 0; k < keys; k++) yield* ref.tell(`idle-${k}`, k)
    yield* system.awaitQuiescent
    const idle = yield* heap
    yield* Effect.sleep(Duration.millis(400))
    const stats = yield* ref.stats
    if (stats.workers !== 0 || stats.activeKeys !== 0) {
      return yield* Effect.die(`passivation left ${stats.workers} workers and ${stats.activeKeys} keys`)
    }
    const passivated = yield* heap
    return { idle: (idle - before) / keys, passivated: Math.max(0, passivated - before) / keys }
  }).pipe(Effect.orDie, Effect.scoped, Effect.provide(ActorSystem.layer))

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes("--quick")
  Effect.runPromise(runRuntimeBench({ quick })).then(
    (results) => {
      for (const result of results) console.log(JSON.stringify(result))
    },
    (error) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
