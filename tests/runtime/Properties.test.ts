import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, FastCheck as fc, Fiber, TestClock } from "effect"
import type * as Actor from "../../src/runtime/Actor.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import { fixedBackoff, letRun, settle } from "./helpers.js"

interface Message {
  readonly seq: number
  /** Defects before the handler succeeds. */
  readonly dies: number
  /** Reply with a typed failure instead of a success. */
  readonly typed: boolean
}

const operation = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("tell" as const),
      key: fc.nat(3),
      dies: fc.nat(4),
      typed: fc.boolean()
    })
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("ask" as const),
      key: fc.nat(3),
      dies: fc.nat(4),
      typed: fc.boolean()
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("yield" as const), n: fc.integer({ min: 1, max: 30 }) })
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("advance" as const), millis: fc.integer({ min: 1, max: 20 }) })
  }
)

describe("Properties", () => {
  it.effect.prop(
    "every accepted message is handled exactly once or parked, and per-key order holds",
    {
      operations: fc.array(operation, { minLength: 1, maxLength: 60 }),
      maxAttempts: fc.integer({ min: 1, max: 4 }),
      maxRestarts: fc.integer({ min: 0, max: 12 }),
      capacity: fc.integer({ min: 1, max: 8 }),
      idleMillis: fc.integer({ min: 1, max: 40 })
    },
    ({ capacity, idleMillis, maxAttempts, maxRestarts, operations }) =>
      Effect.gen(function* () {
        const system = yield* ActorSystem.ActorSystem
        const invocations: Array<{ readonly key: string; readonly seq: number }> = []
        const replies = new Map<number, number>()
        const ref = yield* system.spawn(
          {
            name: "property",
            mailboxCapacity: capacity,
            idleTimeout: Duration.millis(idleMillis),
            supervision: { ...fixedBackoff("1 millis"), maxAttempts, maxRestarts, within: "1 second" }
          },
          (key, message: Message) =>
            Effect.suspend(() => {
              invocations.push({ key, seq: message.seq })
              const attempt = invocations.filter((i) => i.seq === message.seq).length
              // Yield inside the handler so other keys interleave with it.
              return Effect.zipRight(
                Effect.yieldNow(),
                Effect.suspend(() => {
                  if (attempt <= message.dies)
                    return Effect.die(new Error(`defect ${message.seq}/${attempt}`))
                  replies.set(message.seq, (replies.get(message.seq) ?? 0) + 1)
                  return message.typed ? Effect.fail(`typed ${message.seq}`) : Effect.succeed(message.seq)
                })
              )
            })
        )

        // Acceptance order per key, as the mailbox saw it.
        const accepted = new Map<string, Array<number>>()
        const accept = (key: string, seq: number) => accepted.set(key, [...(accepted.get(key) ?? []), seq])
        const unaccept = (key: string, seq: number) =>
          accepted.set(
            key,
            (accepted.get(key) ?? []).filter((s) => s !== seq)
          )
        const refused = new Set<number>()
        const messages = new Map<number, Message & { readonly key: string }>()
        const asks: Array<{
          readonly seq: number
          readonly fiber: Fiber.RuntimeFiber<Either.Either<number, any>>
        }> = []

        let seq = 0
        for (const operation of operations) {
          switch (operation.op) {
            case "tell": {
              const key = `k${operation.key}`
              const message = { seq: seq++, dies: operation.dies, typed: operation.typed }
              messages.set(message.seq, { ...message, key })
              const result = yield* Effect.either(ref.tell(key, message))
              if (Either.isRight(result)) accept(key, message.seq)
              else refused.add(message.seq)
              break
            }
            case "ask": {
              const key = `k${operation.key}`
              const message = { seq: seq++, dies: operation.dies, typed: operation.typed }
              messages.set(message.seq, { ...message, key })
              // The mark and the enqueue run in one step of the forked fiber, so the order is the mailbox's.
              const fiber = yield* Effect.fork(
                Effect.suspend(() => {
                  accept(key, message.seq)
                  return Effect.either(ref.ask(key, message))
                })
              )
              asks.push({ seq: message.seq, fiber })
              break
            }
            case "yield":
              yield* letRun(operation.n)
              break
            case "advance":
              yield* TestClock.adjust(Duration.millis(operation.millis))
              break
          }
        }
        yield* settle(Duration.millis(1))

        for (const { fiber, seq: s } of asks) {
          const result = yield* Fiber.join(fiber)
          const message = messages.get(s)!
          if (
            Either.isLeft(result) &&
            (result.left._tag === "MailboxFull" || result.left._tag === "ActorStopped")
          ) {
            unaccept(message.key, s)
            refused.add(s)
          }
        }

        const parked = yield* ref.parked
        const parkedBySeq = new Map<number, Array<Actor.ParkedMessage<Message>>>()
        for (const p of parked) parkedBySeq.set(p.message.seq, [...(parkedBySeq.get(p.message.seq) ?? []), p])

        // Exactly once or parked, never both, never lost; refused messages never run.
        for (const [s, message] of messages) {
          const attempts = invocations.filter((i) => i.seq === s).length
          const replied = replies.get(s) ?? 0
          const parkings = parkedBySeq.get(s)?.length ?? 0
          if (refused.has(s)) {
            assert.strictEqual(attempts + parkings, 0, `refused message ${s} was handled or parked`)
            continue
          }
          assert.isTrue(
            (replied === 1 && parkings === 0) || (replied === 0 && parkings === 1),
            `message ${s}: replied ${replied}, parked ${parkings}`
          )
          if (replied === 1) assert.strictEqual(attempts, message.dies + 1, `message ${s} attempts`)
          else {
            assert.strictEqual(parkedBySeq.get(s)![0]!.attempts, attempts, `message ${s} parked attempts`)
            assert.isAtMost(attempts, maxAttempts)
          }
        }

        // Per key: messages start in acceptance order, retries are contiguous, never-run ones trail.
        for (const [key, order] of accepted) {
          const runs = invocations.filter((i) => i.key === key).map((i) => i.seq)
          const firstRuns = runs.filter((s, i) => runs.indexOf(s) === i)
          assert.deepStrictEqual(firstRuns, order.slice(0, firstRuns.length), `order of key ${key}`)
          for (let i = 1; i < runs.length; i++) {
            if (runs[i] !== runs[i - 1])
              assert.notInclude(runs.slice(0, i - 1), runs[i], `interleaved retry ${key}`)
          }
        }

        // Asks see the fate of their message.
        for (const { fiber, seq: s } of asks) {
          if (refused.has(s)) continue
          const result = yield* Fiber.join(fiber)
          const message = messages.get(s)!
          if ((parkedBySeq.get(s)?.length ?? 0) === 1) {
            assert.isTrue(
              Either.isLeft(result) && result.left._tag === "MessageParked",
              `ask ${s} not told parked`
            )
          } else if (message.typed) {
            assert.deepStrictEqual(result, Either.left(`typed ${s}`))
          } else {
            assert.deepStrictEqual(result, Either.right(s))
          }
        }

        const stats = yield* ref.stats
        const handled = Array.from(replies.values()).reduce((a, b) => a + b, 0)
        assert.include(stats, { processed: handled, parked: parked.length, mailboxDepth: 0, inFlight: 0 })
      }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer)),
    { fastCheck: { numRuns: 60 } }
  )
})
