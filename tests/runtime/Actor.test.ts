import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber } from "effect"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import { eventually, letRun, settle, untilStats } from "./helpers.js"

describe("Actor mailbox", () => {
  it.scoped("handles the messages of one key one at a time, in arrival order", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const seen: Array<string> = []
      const inside = new Set<string>()
      let overlap = false
      const ref = yield* system.spawn({ name: "order" }, (key, n: number) =>
        Effect.gen(function* () {
          if (inside.has(key)) overlap = true
          inside.add(key)
          // Yield inside the handler so a second message of the same key would get a chance to interleave.
          yield* Effect.yieldNow()
          seen.push(`${key}:${n}`)
          inside.delete(key)
        })
      )
      for (let n = 0; n < 50; n++) {
        yield* ref.tell("a", n)
        if (n % 3 === 0) yield* ref.tell("b", n)
      }
      yield* system.awaitQuiescent
      const of = (key: string) =>
        seen.filter((s) => s.startsWith(`${key}:`)).map((s) => Number(s.split(":")[1]))
      assert.deepStrictEqual(
        of("a"),
        Array.from({ length: 50 }, (_, n) => n)
      )
      assert.deepStrictEqual(
        of("b"),
        Array.from({ length: 50 }, (_, n) => n).filter((n) => n % 3 === 0)
      )
      assert.isFalse(overlap, "two messages of one key were handled at once")
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("runs different keys concurrently", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const gate = yield* Deferred.make<void>()
      const entered = new Set<string>()
      const ref = yield* system.spawn({ name: "parallel" }, (key, _: string) =>
        Effect.zipRight(
          Effect.sync(() => entered.add(key)),
          Deferred.await(gate)
        )
      )
      const a = yield* Effect.fork(ref.ask("a", "x"))
      const b = yield* Effect.fork(ref.ask("b", "x"))
      assert.isTrue(
        yield* eventually(() => entered.has("a") && entered.has("b")),
        "both handlers inside at once"
      )
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("maxConcurrentKeys bounds how many keys run at once", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const gate = yield* Deferred.make<void>()
      const entered = new Set<string>()
      const ref = yield* system.spawn({ name: "bounded-keys", maxConcurrentKeys: 1 }, (key, _: string) =>
        Effect.zipRight(
          Effect.sync(() => entered.add(key)),
          Deferred.await(gate)
        )
      )
      yield* ref.tell("a", "x")
      yield* ref.tell("b", "x")
      assert.isTrue(yield* eventually(() => entered.size === 1))
      yield* letRun()
      assert.strictEqual(entered.size, 1, "a second key entered while the only permit was taken")
      yield* Deferred.succeed(gate, undefined)
      yield* system.awaitQuiescent
      assert.strictEqual(entered.size, 2)
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("tell returns once enqueued; ask returns the reply or the typed failure", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const gate = yield* Deferred.make<void>()
      const ref = yield* system.spawn({ name: "reply" }, (_key, n: number) =>
        n === 0
          ? Deferred.await(gate).pipe(Effect.as(0))
          : n < 0
            ? Effect.fail(`negative: ${n}`)
            : Effect.succeed(n * 2)
      )
      // The handler of "a" is blocked, yet telling it more returns at once.
      yield* ref.tell("a", 0)
      yield* ref.tell("a", 5)
      const stats = yield* ref.stats
      assert.strictEqual(stats.mailboxDepth + stats.inFlight, 2)
      assert.strictEqual(yield* ref.ask("b", 21), 42)
      assert.deepStrictEqual(yield* Effect.either(ref.ask("b", -1)), Either.left("negative: -1"))
      yield* Deferred.succeed(gate, undefined)
      yield* system.awaitQuiescent
      const after = yield* ref.stats
      assert.strictEqual(after.processed, 4)
      assert.strictEqual(after.failed, 1)
      assert.strictEqual(after.defects, 0, "a typed failure is a reply, not a crash")
      assert.strictEqual(after.restarts, 0)
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("a full mailbox fails the sender at once with MailboxFull and drops nothing silently", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const gate = yield* Deferred.make<void>()
      const handled: Array<number> = []
      const ref = yield* system.spawn({ name: "full", mailboxCapacity: 2 }, (_key, n: number) =>
        Effect.zipRight(
          Deferred.await(gate),
          Effect.sync(() => handled.push(n))
        )
      )
      yield* ref.tell("k", 1)
      yield* letRun(20)
      assert.include(yield* ref.stats, { inFlight: 1, mailboxDepth: 0 })
      // 1 is in flight; 2 and 3 fill the mailbox; 4 is refused.
      yield* ref.tell("k", 2)
      yield* ref.tell("k", 3)
      const refused = yield* Effect.flip(ref.tell("k", 4))
      assert.strictEqual(refused._tag, "MailboxFull")
      assert.include(refused, { actor: "full", key: "k", capacity: 2 })
      const refusedAsk = yield* Effect.flip(ref.ask("k", 5))
      assert.strictEqual(refusedAsk._tag, "MailboxFull")
      // Another key has its own mailbox.
      yield* ref.tell("other", 6)

      // Under load: concurrent senders either get MailboxFull or have their message handled, exactly once.
      const results = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => 100 + i),
        (n) => Effect.either(ref.tell(`load-${n % 4}`, n)),
        { concurrency: "unbounded" }
      )
      const accepted = results.flatMap((r, i) => (Either.isRight(r) ? [100 + i] : []))
      const rejected = results.filter((r) => Either.isLeft(r) && r.left._tag === "MailboxFull").length
      assert.strictEqual(accepted.length + rejected, 200)
      assert.isAbove(rejected, 0)
      yield* Deferred.succeed(gate, undefined)
      yield* settle()
      assert.deepStrictEqual(
        handled.filter((n) => n < 100),
        [1, 2, 3, 6]
      )
      assert.deepStrictEqual(
        handled.filter((n) => n >= 100).sort((x, y) => x - y),
        accepted
      )
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("handlers do not run inside the span that spawned the actor", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const ref = yield* system
        .spawn({ name: "spans" }, (_key, _: string) =>
          Effect.map(Effect.option(Effect.currentSpan), (span) => span._tag)
        )
        .pipe(Effect.withSpan("spawner"))
      assert.strictEqual(yield* ref.ask("k", "x").pipe(Effect.withSpan("caller")), "None")
    }).pipe(Effect.provide(ActorSystem.layer))
  )

  it.scoped("an asker that gives up does not cancel its message", () =>
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const gate = yield* Deferred.make<void>()
      const handled: Array<string> = []
      const ref = yield* system.spawn({ name: "give-up" }, (_key, message: string) =>
        Effect.zipRight(
          Deferred.await(gate),
          Effect.sync(() => handled.push(message))
        )
      )
      const asker = yield* Effect.fork(ref.ask("k", "m"))
      yield* untilStats(ref, (s) => s.inFlight === 1)
      yield* Fiber.interrupt(asker)
      yield* Deferred.succeed(gate, undefined)
      yield* system.awaitQuiescent
      assert.deepStrictEqual(handled, ["m"])
      assert.include(yield* ref.stats, { processed: 1, defects: 0 })
    }).pipe(Effect.provide(ActorSystem.layer))
  )
})
