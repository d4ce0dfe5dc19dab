import { assert, describe, it } from "@effect/vitest"
import {
  Cause,
  Chunk,
  Clock,
  Duration,
  Effect,
  Fiber,
  LogLevel,
  Metric,
  Queue,
  Schedule,
  TestClock
} from "effect"
import * as ActorMetrics from "../../src/runtime/ActorMetrics.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import * as Supervisor from "../../src/runtime/Supervisor.js"
import {
  captureLogs,
  eventually,
  fixedBackoff,
  type LoggedLine,
  letRun,
  settle,
  untilStats
} from "./helpers.js"

/** A behaviour that dies the first `dies` times it sees a message, recording the clock time of every attempt. */
const flaky = (dies: number) => {
  const attempts: Array<{ readonly message: string; readonly at: number }> = []
  const behaviour = (_key: string, message: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (at) => {
      attempts.push({ message, at })
      const seen = attempts.filter((a) => a.message === message).length
      return seen <= dies
        ? Effect.die(new Error(`boom ${message} #${seen}`))
        : Effect.succeed(`ok ${message}`)
    })
  return { attempts, behaviour }
}

describe("Supervision", () => {
  it("classifies typed failures as replies and dies, throws and interruptions as defects", () => {
    assert.isFalse(Supervisor.isDefect(Effect.runSync(Effect.cause(Effect.fail("no")))))
    assert.isTrue(Supervisor.isDefect(Effect.runSync(Effect.cause(Effect.die("boom")))))
    assert.isTrue(
      Supervisor.isDefect(
        Effect.runSync(
          Effect.cause(
            Effect.sync(() => {
              throw new Error("thrown")
            })
          )
        )
      )
    )
    assert.isTrue(Supervisor.isDefect(Effect.runSync(Effect.cause(Effect.interrupt))))
  })

  it.scoped("restarts after a defect with the backoff delay and retries the same message", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const { attempts, behaviour } = flaky(2)
      const ref = yield* system.spawn(
        {
          name: "backoff",
          supervision: { backoff: Schedule.exponential("100 millis"), maxAttempts: 5 }
        },
        behaviour
      )
      const reply = yield* Effect.fork(ref.ask("k", "m"))
      assert.isTrue(yield* eventually(() => attempts.length === 1))
      assert.include(yield* ref.stats, { restarting: 1, inFlight: 1, defects: 1, restarts: 1 })
      assert.strictEqual(yield* system.pending, 2, "the held message and the pending restart")

      yield* TestClock.adjust("99 millis")
      yield* letRun()
      assert.strictEqual(attempts.length, 1, "retried before the backoff delay")
      yield* TestClock.adjust("1 millis")
      assert.isTrue(yield* eventually(() => attempts.length === 2), "not retried after the backoff delay")

      // Exponential: the second delay is twice the first.
      yield* TestClock.adjust("199 millis")
      yield* letRun()
      assert.strictEqual(attempts.length, 2)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(reply), "ok m")
      assert.deepStrictEqual(
        attempts.map((a) => a.at),
        [0, 100, 300]
      )
      assert.include(yield* ref.stats, { processed: 1, defects: 2, restarts: 2, restarting: 0, inFlight: 0 })
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("the default backoff is jittered exponential from 10 ms", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const { attempts, behaviour } = flaky(1)
      const ref = yield* system.spawn({ name: "default-backoff" }, behaviour)
      yield* ref.tell("k", "m")
      assert.isTrue(yield* eventually(() => attempts.length === 1))
      yield* TestClock.adjust("7 millis")
      yield* letRun()
      assert.strictEqual(attempts.length, 1, "retried earlier than 0.8 x 10 ms")
      yield* TestClock.adjust("6 millis")
      assert.isTrue(yield* eventually(() => attempts.length === 2), "not retried by 1.2 x 10 ms")
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped(
    "parks a poison message after maxAttempts defects while the key goes on with later messages",
    () =>
      Effect.gen(function* () {
        const system = yield* ActorSystem.ActorSystem
        const handled: Array<string> = []
        let poisonAttempts = 0
        const ref = yield* system.spawn(
          {
            name: "poison",
            supervision: { ...fixedBackoff("10 millis"), maxAttempts: 3 },
            describe: (message: string) => `msg ${message}`
          },
          (_key, message: string) =>
            message === "poison"
              ? Effect.suspend(() => {
                  poisonAttempts++
                  return Effect.die(new Error("poisoned"))
                })
              : Effect.sync(() => handled.push(message))
        )
        yield* ref.tell("k", "before")
        const poison = yield* Effect.fork(Effect.flip(ref.ask("k", "poison")))
        yield* ref.tell("k", "after-1")
        yield* ref.tell("k", "after-2")
        yield* ref.tell("other", "elsewhere")
        yield* settle()

        assert.strictEqual(poisonAttempts, 3)
        assert.deepStrictEqual(
          handled.filter((m) => m !== "elsewhere"),
          ["before", "after-1", "after-2"]
        )
        assert.include(handled, "elsewhere")
        const parked = yield* ref.parked
        assert.strictEqual(parked.length, 1)
        const [message] = parked
        assert.include(message, {
          actor: "poison",
          key: "k",
          message: "poison",
          attempts: 3,
          description: "msg poison"
        })
        assert.include(message!.causeText, "poisoned")
        const error = yield* Fiber.join(poison)
        assert.strictEqual(error._tag, "MessageParked")
        assert.include(error, { parkedId: message!.id, attempts: 3, key: "k" })
        assert.include(yield* ref.stats, {
          processed: 4,
          defects: 3,
          restarts: 3,
          parked: 1,
          mailboxDepth: 0
        })
      }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("redrives a parked message through the public API", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      let broken = true
      const handled: Array<string> = []
      const ref = yield* system.spawn(
        { name: "redrive", supervision: { ...fixedBackoff("10 millis"), maxAttempts: 2 } },
        (_key, message: string) =>
          broken ? Effect.die("still broken") : Effect.sync(() => handled.push(message))
      )
      yield* ref.tell("k", "m")
      yield* settle()
      const [parked] = yield* ref.parked
      assert.isDefined(parked)

      broken = false
      yield* ref.redrive(parked!.id)
      yield* settle()
      assert.deepStrictEqual(handled, ["m"])
      assert.deepStrictEqual(yield* ref.parked, [])
      assert.include(yield* ref.stats, { parked: 0, processed: 1 })

      const again = yield* Effect.flip(ref.redrive(parked!.id))
      assert.strictEqual(again._tag, "NotParked")
      const unknown = yield* Effect.flip(ref.redrive("redrive/999"))
      assert.include(unknown, { _tag: "NotParked", actor: "redrive", parkedId: "redrive/999" })
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("publishes every restart, in order, with the message, its attempts and where it went", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const subscription = yield* system.subscribeRestarts
      const ref = yield* system.spawn(
        { name: "restarts", supervision: { ...fixedBackoff("10 millis"), maxAttempts: 3 } },
        (_key, message: string) =>
          message === "poison" ? Effect.die(new Error("always")) : Effect.succeed(message)
      )
      const { behaviour } = flaky(2)
      const other = yield* system.spawn(
        { name: "flaky", supervision: { ...fixedBackoff("10 millis"), maxAttempts: 3 } },
        behaviour
      )
      yield* ref.tell("k", "poison")
      yield* ref.tell("k", "fine")
      yield* other.tell("j", "m")
      yield* settle()

      const restarts = Chunk.toReadonlyArray(yield* Queue.takeAll(subscription))
      // Two deaths in a row cannot be seen as one: each restart is its own event, numbered per actor.
      assert.deepStrictEqual(
        restarts
          .filter((r) => r.actor === "restarts")
          .map((r) => [r.key, r.message, r.attempts, r.parkedId, r.restarts, r.delayMillis]),
        [
          ["k", "poison", 1, undefined, 1, 10],
          ["k", "poison", 2, undefined, 2, 10],
          ["k", "poison", 3, "restarts/1", 3, 10]
        ]
      )
      assert.deepStrictEqual(
        restarts.filter((r) => r.actor === "flaky").map((r) => [r.message, r.attempts, r.restarts]),
        [
          ["m", 1, 1],
          ["m", 2, 2]
        ]
      )
      assert.include(Cause.pretty(restarts[0]!.cause), "always")
      assert.include(yield* ref.stats, { restarts: 3, parked: 1, processed: 1 })
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("spending the restart budget stops the key's child, parks its queue and escalates", () => {
    const lines: Array<LoggedLine> = []
    return Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const subscription = yield* system.subscribeEscalations
      const handled: Array<string> = []
      const ref = yield* system.spawn(
        {
          name: "budget",
          supervision: { ...fixedBackoff("10 millis"), maxRestarts: 2, within: "1 minute", maxAttempts: 10 }
        },
        (key, message: string) =>
          key === "bad" ? Effect.die(new Error("always")) : Effect.sync(() => handled.push(message))
      )
      yield* ref.tell("bad", "m1")
      const queuedAsk = yield* Effect.fork(Effect.flip(ref.ask("bad", "m2")))
      // m2 is enqueued by the forked fiber; wait for it so m3 comes after it.
      yield* untilStats(ref, (s) => s.mailboxDepth + s.inFlight === 2)
      yield* ref.tell("bad", "m3")
      yield* ref.tell("good", "g1")
      yield* settle()

      // 3 defects: two restarts are within the budget, the third exceeds it.
      const stats = yield* ref.stats
      assert.include(stats, {
        defects: 3,
        restarts: 2,
        parked: 3,
        stoppedKeys: 1,
        mailboxDepth: 0,
        inFlight: 0
      })
      const parked = yield* ref.parked
      assert.deepStrictEqual(
        parked.map((p) => [p.message, p.attempts]),
        [
          ["m1", 3],
          ["m2", 0],
          ["m3", 0]
        ]
      )
      assert.include(parked[0]!.causeText, "always")
      assert.include(parked[1]!.causeText, "ActorStopped")

      const parkedAsk = yield* Fiber.join(queuedAsk)
      assert.strictEqual(parkedAsk._tag, "MessageParked")

      const [escalation] = yield* system.escalations
      assert.include(escalation, { actor: "budget", key: "bad", restarts: 3, parked: 3 })
      assert.include(escalation!.causeText, "always")
      assert.deepStrictEqual(yield* Queue.takeAll(subscription).pipe(Effect.map((c) => Array.from(c))), [
        escalation
      ])
      const logged = lines.find((line) => line.level === LogLevel.Error)
      assert.isDefined(logged, "escalation not logged with logError")
      assert.include(logged!.message, "restart budget spent")
      assert.include(logged!.cause, "always")
      assert.include(logged!.annotations, { actor: "budget", key: "bad" })
      assert.strictEqual(
        (yield* Metric.value(Metric.tagged(ActorMetrics.escalations, ActorMetrics.actorTag, "budget"))).count,
        1
      )

      // The stopped key refuses new messages; other keys are unaffected.
      const refused = yield* Effect.flip(ref.tell("bad", "m4"))
      assert.strictEqual(refused._tag, "ActorStopped")
      assert.include((refused as { reason?: string }).reason, "restart budget spent")
      assert.deepStrictEqual(handled, ["g1"])
      assert.strictEqual(yield* ref.ask("good", "g2"), 2)

      // Redriving one of its messages is the decision to run the key again.
      yield* ref.redrive(parked[2]!.id)
      assert.include(yield* ref.stats, { stoppedKeys: 0, parked: 2 })
      yield* settle()
      // m3 still dies: it is handled again (not refused), fails its attempts and is parked anew.
      assert.strictEqual((yield* ref.parked).filter((p) => p.message === "m3").length, 1)
    }).pipe(Effect.provide(ActorSystem.layer), Effect.provide(captureLogs(lines)))
  })

  it.scoped("an exhausted backoff schedule stops the key like a spent budget", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const ref = yield* system.spawn(
        {
          name: "exhausted",
          supervision: { backoff: Schedule.recurs(1), maxAttempts: 5, maxRestarts: 10 },
          describe: () => {
            throw new Error("describe is broken too")
          }
        },
        (_key, _message: string) => Effect.die("always")
      )
      yield* ref.tell("k", "m")
      yield* settle()
      assert.include(yield* ref.stats, { defects: 2, restarts: 1, stoppedKeys: 1, parked: 1, workers: 0 })
      const [parked] = yield* ref.parked
      assert.include(parked, { attempts: 2, description: "(describe failed: Error: describe is broken too)" })
      const refused = yield* Effect.flip(ref.tell("k", "again"))
      assert.include((refused as { reason?: string }).reason, "backoff schedule exhausted")
      assert.strictEqual((yield* system.escalations).length, 1)
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("counts restarts within the window by the Clock: old restarts leave the budget", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      let calls = 0
      const ref = yield* system.spawn(
        { name: "window", supervision: { ...fixedBackoff("1 millis"), maxRestarts: 1, within: "1 second" } },
        // Every message dies once, then succeeds.
        (_key, _message: number) => (++calls % 2 === 1 ? Effect.die("once") : Effect.void)
      )
      yield* ref.tell("k", 1)
      yield* settle(Duration.millis(1))
      yield* TestClock.adjust("1 second")
      // This restart would be the second within a second, had the first not left the window.
      yield* ref.tell("k", 2)
      yield* settle(Duration.millis(1))
      assert.include(yield* ref.stats, { processed: 2, restarts: 2, stoppedKeys: 0, parked: 0 })
      assert.deepStrictEqual(yield* system.escalations, [])

      // Two restarts inside one second do spend it.
      yield* ref.tell("k", 3)
      yield* ref.tell("k", 4)
      yield* settle(Duration.millis(1))
      assert.include(yield* ref.stats, { stoppedKeys: 1 })
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("a handler that throws or is interrupted is restarted like a die", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const seen: Array<string> = []
      const ref = yield* system.spawn(
        { name: "throws", supervision: { ...fixedBackoff("5 millis"), maxAttempts: 2 } },
        (_key, message: string): Effect.Effect<string> => {
          seen.push(message)
          if (message === "throw-outside") throw new Error("thrown while building the effect")
          if (message === "throw") {
            return Effect.sync(() => {
              throw new Error("thrown inside")
            })
          }
          if (message === "interrupt") return Effect.interrupt
          return Effect.succeed(message)
        }
      )
      for (const message of ["throw-outside", "throw", "interrupt", "fine"]) yield* ref.tell("k", message)
      yield* settle()
      assert.deepStrictEqual(seen, [
        "throw-outside",
        "throw-outside",
        "throw",
        "throw",
        "interrupt",
        "interrupt",
        "fine"
      ])
      const parked = yield* ref.parked
      assert.deepStrictEqual(
        parked.map((p) => p.message),
        ["throw-outside", "throw", "interrupt"]
      )
      assert.include(yield* ref.stats, { defects: 6, processed: 1, failed: 0 })
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("awaitQuiescent waits for a pending restart (works under the TestClock)", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const { attempts, behaviour } = flaky(1)
      const ref = yield* system.spawn({ name: "quiet", supervision: fixedBackoff("1 second") }, behaviour)
      yield* ref.tell("k", "m")
      const quiet = yield* Effect.fork(system.awaitQuiescent)
      assert.isTrue(yield* eventually(() => attempts.length === 1))
      yield* letRun()
      assert.isNull(quiet.unsafePoll(), "quiescent while a restart is pending")
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(quiet)
      assert.strictEqual(attempts.length, 2)
      assert.strictEqual(yield* system.pending, 0)
    }).pipe(Effect.provide(ActorSystem.layer))
  )
})
