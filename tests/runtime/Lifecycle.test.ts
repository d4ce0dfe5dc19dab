import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Metric, Scope, TestClock } from "effect"
import * as ActorMetrics from "../../src/runtime/ActorMetrics.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import { fixedBackoff, letRun, settle, untilStats } from "./helpers.js"

describe("Passivation", () => {
  it.scoped("passivates an idle key after idleTimeout (no fiber left) and restarts it transparently", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const handled: Array<string> = []
      const ref = yield* system.spawn(
        { name: "passivate", idleTimeout: "1 minute" },
        (key, message: string) => Effect.sync(() => handled.push(`${key}:${message}`))
      )
      yield* ref.tell("a", "1")
      yield* ref.tell("b", "1")
      yield* untilStats(ref, (s) => s.processed === 2)
      assert.include(yield* ref.stats, { activeKeys: 2, workers: 2, passivations: 0 })

      yield* TestClock.adjust("30 seconds")
      yield* ref.tell("b", "2") // activity resets b's idle deadline
      yield* untilStats(ref, (s) => s.processed === 3)
      yield* TestClock.adjust("29 seconds")
      yield* letRun()
      assert.include(yield* ref.stats, { activeKeys: 2, passivations: 0 })

      yield* TestClock.adjust("1 second")
      yield* untilStats(ref, (s) => s.workers === 1)
      assert.include(yield* ref.stats, { activeKeys: 1, passivations: 1 })

      yield* TestClock.adjust("30 seconds")
      yield* untilStats(ref, (s) => s.workers === 0)
      assert.include(yield* ref.stats, { activeKeys: 0, passivations: 2 })

      // A later message starts the key's child again.
      assert.strictEqual(yield* ref.ask("a", "2"), 4)
      assert.include(yield* ref.stats, { activeKeys: 1, workers: 1 })
      assert.deepStrictEqual(handled, ["a:1", "b:1", "b:2", "a:2"])
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("does not passivate a key while it is busy", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const gate = yield* Deferred.make<void>()
      const ref = yield* system.spawn({ name: "busy", idleTimeout: "1 second" }, (_key, _: string) =>
        Deferred.await(gate)
      )
      yield* ref.tell("k", "slow")
      yield* untilStats(ref, (s) => s.inFlight === 1)
      yield* TestClock.adjust("10 seconds")
      yield* letRun()
      assert.include(yield* ref.stats, { activeKeys: 1, passivations: 0, workers: 1 })
      yield* Deferred.succeed(gate, undefined)
      yield* untilStats(ref, (s) => s.processed === 1)
      yield* TestClock.adjust("1 second")
      yield* untilStats(ref, (s) => s.workers === 0)
      assert.include(yield* ref.stats, { activeKeys: 0, passivations: 1 })
    }).pipe(Effect.provide(ActorSystem.layer))
  )
})

describe("Shutdown", () => {
  it.effect("closing the scope stops accepting messages, drains the mailboxes, then stops", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const scope = yield* Scope.make()
      const gate = yield* Deferred.make<void>()
      const handled: Array<number> = []
      const ref = yield* system
        .spawn({ name: "drain" }, (_key, n: number) =>
          Effect.zipRight(
            Deferred.await(gate),
            Effect.sync(() => handled.push(n))
          )
        )
        .pipe(Scope.extend(scope))
      yield* ref.tell("a", 1)
      yield* ref.tell("a", 2)
      const asked = yield* Effect.fork(ref.ask("b", 3))
      yield* untilStats(ref, (s) => s.inFlight === 2)

      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* letRun()
      assert.isNull(closing.unsafePoll(), "closed before draining")
      const refused = yield* Effect.flip(ref.tell("a", 4))
      assert.include(refused, { _tag: "ActorStopped", reason: "actor is shutting down" })
      assert.strictEqual((yield* Effect.flip(ref.ask("c", 5)))._tag, "ActorStopped")

      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(closing)
      assert.strictEqual(yield* Fiber.join(asked), 3)
      assert.deepStrictEqual(
        handled.sort((x, y) => x - y),
        [1, 2, 3]
      )
      assert.include(yield* ref.stats, { stopped: true, workers: 0, activeKeys: 0, processed: 3 })
      assert.deepStrictEqual(yield* system.actors, [])
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.effect("interrupts what is left after shutdownTimeout and fails the waiting asks", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const scope = yield* Scope.make()
      let interrupted = 0
      const ref = yield* system
        .spawn({ name: "stuck", shutdownTimeout: "5 seconds" }, (_key, _: number) =>
          Effect.onInterrupt(Effect.never, () =>
            Effect.sync(() => {
              interrupted++
            })
          )
        )
        .pipe(Scope.extend(scope))
      const inFlight = yield* Effect.fork(Effect.flip(ref.ask("k", 1)))
      const queued = yield* Effect.fork(Effect.flip(ref.ask("k", 2)))
      yield* untilStats(ref, (s) => s.inFlight === 1 && s.mailboxDepth === 1)

      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* TestClock.adjust("4999 millis")
      yield* letRun()
      assert.isNull(closing.unsafePoll(), "interrupted before shutdownTimeout")
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(closing)

      assert.strictEqual(interrupted, 1)
      assert.include(yield* Fiber.join(inFlight), { _tag: "ActorStopped", key: "k" })
      assert.include(yield* Fiber.join(queued), { _tag: "ActorStopped", key: "k" })
      assert.include(yield* ref.stats, { stopped: true, workers: 0, inFlight: 0, mailboxDepth: 0 })
      assert.strictEqual(yield* system.pending, 0)
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.effect("closing the system layer shuts down actors spawned in a longer-lived scope", () =>
    Effect.gen(function* () {
      const outer = yield* Scope.make()
      const gate = yield* Deferred.make<void>()
      const handled: Array<number> = []
      const systemScope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        ActorSystem.layerWith({ shutdownTimeout: "1 second" }),
        systemScope
      )
      const system = Context.get(context, ActorSystem.ActorSystem)
      const ref = yield* system
        .spawn({ name: "outlives" }, (_key, n: number) =>
          Effect.zipRight(
            Deferred.await(gate),
            Effect.sync(() => handled.push(n))
          )
        )
        .pipe(Scope.extend(outer))
      yield* ref.tell("k", 1)
      yield* ref.tell("k", 2)
      const closing = yield* Effect.fork(Scope.close(systemScope, Exit.void))
      yield* letRun()
      assert.isNull(closing.unsafePoll())
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(closing)
      assert.deepStrictEqual(handled, [1, 2])
      assert.include(yield* ref.stats, { stopped: true, workers: 0 })
      yield* Scope.close(outer, Exit.void) // closing again is harmless
    })
  )
})

describe("Introspection", () => {
  it.scoped("reports stats as data and Effect metrics tagged with the actor name", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const gate = yield* Deferred.make<void>()
      const ref = yield* system.spawn(
        { name: "introspect", supervision: { ...fixedBackoff("10 millis"), maxAttempts: 1 } },
        (_key, message: string) =>
          message === "block"
            ? Deferred.await(gate)
            : message === "fail"
              ? Effect.fail("rejected")
              : message === "die"
                ? Effect.die("crashed")
                : Effect.void
      )
      yield* ref.tell("a", "block")
      yield* ref.tell("a", "ok")
      yield* ref.tell("a", "ok")
      yield* untilStats(ref, (s) => s.inFlight === 1)
      assert.include(yield* ref.stats, { name: "introspect", mailboxDepth: 2, inFlight: 1, activeKeys: 1 })
      assert.strictEqual(yield* system.pending, 3)
      const [listed] = (yield* system.actors).filter((s) => s.name === "introspect")
      assert.include(listed, { mailboxDepth: 2, inFlight: 1 })

      yield* Deferred.succeed(gate, undefined)
      yield* ref.tell("b", "fail")
      yield* ref.tell("c", "die")
      yield* settle()
      const stats = yield* ref.stats
      assert.deepStrictEqual(stats, {
        name: "introspect",
        mailboxDepth: 0,
        inFlight: 0,
        processed: 4,
        failed: 1,
        defects: 1,
        restarts: 1,
        restarting: 0,
        parked: 1,
        activeKeys: 3,
        workers: 3,
        passivations: 0,
        stoppedKeys: 0,
        stopped: false
      })

      const value = <T>(metric: Metric.Metric<any, any, T>) =>
        Metric.value(Metric.tagged(metric, ActorMetrics.actorTag, "introspect"))
      assert.strictEqual((yield* value(ActorMetrics.processed)).count, 4)
      assert.strictEqual((yield* value(ActorMetrics.failed)).count, 1)
      assert.strictEqual((yield* value(ActorMetrics.defects)).count, 1)
      assert.strictEqual((yield* value(ActorMetrics.restarts)).count, 1)
      assert.strictEqual((yield* value(ActorMetrics.parked)).value, 1)
      assert.strictEqual((yield* value(ActorMetrics.mailboxDepth)).value, 0)
    }).pipe(Effect.provide(ActorSystem.layer))
  )
})
