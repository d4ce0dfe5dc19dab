import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Counter from "../../examples/counter/Counter.js"
import { Application, Replay } from "../../src/index.js"

const host = Effect.map(Application.Application, (app) => app.host(Counter.definition))

describe("examples/counter: a non-Imperial host on the generic runtime", () => {
  it.scoped("increments a counter through its mailbox and settles", () =>
    Effect.gen(function* () {
      const app = yield* Application.Application
      const acks = [yield* Counter.increment("apples", 3), yield* Counter.increment("apples", 4)]
      assert.deepStrictEqual(
        acks.map((ack) => [ack.type, ack.key]),
        [
          ["Increment", "apples"],
          ["Increment", "apples"]
        ]
      )
      yield* app.settle()
      assert.strictEqual(yield* Counter.value("apples"), 7)
      assert.strictEqual(app.boundary, "memory")
    }).pipe(Effect.provide(Counter.layer))
  )

  it.scoped("an increment past the limit is rejected as an event and changes nothing", () =>
    Effect.gen(function* () {
      const app = yield* Application.Application
      yield* Counter.increment("pears", 8)
      yield* Counter.increment("pears", 5)
      yield* app.settle()
      assert.strictEqual(yield* Counter.value("pears"), 8)
      const log = yield* (yield* host).audit("pears")
      assert.deepStrictEqual(
        log.map((entry) => [entry.events.map((e) => e.type), entry.stateChanged]),
        [
          [["Incremented"], true],
          [["IncrementRejected"], false]
        ]
      )
      assert.deepStrictEqual(log[1]?.events[0]?.payload, {
        _tag: "IncrementRejected",
        counter: "pears",
        by: 5,
        reason: `would pass ${Counter.limit}`
      })
    }).pipe(Effect.provide(Counter.layer))
  )

  it.scoped("counters are independent keys, and their audit log replays to the same state", () =>
    Effect.gen(function* () {
      const app = yield* Application.Application
      for (const [counter, by] of [
        ["a", 1],
        ["b", 2],
        ["a", 3],
        ["b", 9],
        ["c", 10]
      ] as const) {
        yield* Counter.increment(counter, by)
      }
      yield* app.settle()
      const counter = yield* host
      assert.deepStrictEqual([...(yield* counter.keys)].sort(), ["a", "b", "c"])
      const values = [yield* Counter.value("a"), yield* Counter.value("b"), yield* Counter.value("c")]
      assert.deepStrictEqual(values, [4, 2, 10])
      const replayed = Replay.replay(Counter.definition, yield* counter.audit())
      assert.deepStrictEqual(Object.fromEntries(replayed), {
        a: { value: 4 },
        b: { value: 2 },
        c: { value: 10 }
      })
    }).pipe(Effect.provide(Counter.layer))
  )

  it.scoped("untrusted input is refused before any state is touched, naming the field", () =>
    Effect.gen(function* () {
      const counter = yield* host
      const refused = yield* counter
        .sendWire({ type: "Increment", version: 1, payload: { counter: "plums", by: -2 } })
        .pipe(Effect.flip)
      assert.strictEqual(refused._tag, "MessageRejected")
      assert.include(refused._tag === "MessageRejected" ? refused.reason : "", "by: ")
      const wrongType = yield* Effect.flip(
        counter.sendWire({ type: "Decrement", version: 1, payload: { counter: "plums", by: 1 } })
      )
      assert.strictEqual(wrongType._tag, "MessageRejected")
      const accepted = yield* counter.sendWire({
        type: "Increment",
        version: 1,
        payload: { counter: "plums", by: 2 }
      })
      assert.strictEqual(accepted.key, "plums")
      yield* (yield* Application.Application).settle()
      assert.strictEqual(yield* Counter.value("plums"), 2)
    }).pipe(Effect.provide(Counter.layer))
  )
})
