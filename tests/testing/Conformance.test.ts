import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema, TestClock } from "effect"
import * as Effects from "../../src/commit/Effects.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"
import * as Conformance from "../../src/testing/Conformance.js"
import * as TestApp from "../../src/testing/TestApp.js"

// The conformance kit on a generic pair of hosts: a counter that remembers the message ids it applied (so its
// state holds ids) and a ledger that records each sum under a receipt id derived from the message id.

const Add = Schema.TaggedStruct("Add", { counter: Schema.String, n: Schema.Int })
const Added = Schema.TaggedStruct("Added", {
  counter: Schema.String,
  total: Schema.Int,
  receipt: Schema.String
})
const Counter = Schema.Struct({ total: Schema.Int, applied: Schema.Array(Schema.String) })

const counterWith = (step: (n: number) => number) =>
  HostDefinition.fromSchemas({
    name: "counter",
    state: Counter,
    inbound: Add,
    events: Added,
    keyOf: (m) => m.counter,
    decide: (state, m, ctx) => {
      if (state?.applied.includes(ctx.messageId)) return Effects.none
      const total = (state?.total ?? 0) + step(m.n)
      return Effects.make({
        state: { total, applied: [...(state?.applied ?? []), ctx.messageId] },
        events: [Added.make({ counter: m.counter, total, receipt: `receipt-${ctx.messageId}` })]
      })
    }
  })

const counter = counterWith((n) => n)

const ledger = HostDefinition.fromSchemas({
  name: "ledger",
  state: Schema.Struct({ receipts: Schema.Array(Schema.String), at: Schema.Number }),
  inbound: Added,
  keyOf: (m) => m.counter,
  decide: (state, m, ctx) =>
    Effects.make({ state: { receipts: [...(state?.receipts ?? []), m.receipt], at: ctx.now } })
})

const add = (name: string, n: number) =>
  Effect.flatMap(TestApp.host(counter), (host) => host.execute(Add.make({ counter: name, n })))

const adding = Conformance.scenario(
  "two counters, a redelivered message",
  Effect.gen(function* () {
    yield* add("a", 2)
    const second = yield* add("a", 3)
    yield* add("b", 10)
    yield* TestApp.settle()
    // An at-least-once transport hands the same message over again: the memory boundary applies it again (the
    // counter's decide ignores it), a durable inbox would drop it; outcomes compare up to that duplicate.
    yield* TestApp.redeliver("counter", second)
  })
)

const memory = (prefix: string, definitions = [counter, ledger]) =>
  Conformance.target(`memory (${prefix}-ids)`, () => TestApp.layer(definitions, { idPrefix: prefix }))

describe("Conformance", () => {
  it.effect("targets with different message ids and clocks agree once ids are canonical", () =>
    Effect.gen(function* () {
      const [first, second] = yield* Conformance.check(adding, [memory("x"), memory("y")], {
        ignoreFields: ["at"]
      })
      assert.deepStrictEqual(second!.states, first!.states)
      assert.deepStrictEqual(first!.states.counter, {
        a: { total: 5, applied: ["counter/a#1", "counter/a#2"] },
        b: { total: 10, applied: ["counter/b#1"] }
      })
      // Ids inside payloads and states are renamed too, and the redelivered duplicate appears once.
      assert.deepStrictEqual(first!.states.ledger, {
        a: { receipts: ["receipt-counter/a#1", "receipt-counter/a#2"] },
        b: { receipts: ["receipt-counter/b#1"] }
      })
      assert.deepStrictEqual(
        first!.handled.counter!.a!.map((h) => [h.id, h.type, h.produced.map((p) => p.id)]),
        [
          ["counter/a#1", "Add", ["counter/a#1.0"]],
          ["counter/a#2", "Add", ["counter/a#2.0"]]
        ]
      )
    })
  )

  it.effect("a target that behaves differently is reported with the paths that differ", () =>
    Effect.gen(function* () {
      const doubling = counterWith((n) => 2 * n)
      const mismatch = yield* Effect.flip(
        Conformance.check(adding, [memory("x"), memory("y", [doubling, ledger])], { ignoreFields: ["at"] })
      )
      assert.strictEqual(mismatch._tag, "ConformanceMismatch")
      const failed = mismatch as Conformance.ConformanceMismatch
      assert.include(failed.differences, "states.counter.a.total: expected 5, got 10")
      assert.include(
        failed.message,
        `"two counters, a redelivered message": memory (y-ids) differs from memory (x-ids)`
      )
    })
  )

  it.effect("a field that follows the clock differs between runs unless it is ignored", () =>
    Effect.gen(function* () {
      // The TestClock moves on between the two runs, as a live clock would between two boundaries.
      const later = Conformance.scenario(
        "later",
        Effect.zipRight(TestClock.adjust("1 second"), adding.program)
      )
      const mismatch = yield* Effect.flip(Conformance.check(later, [memory("x"), memory("y")]))
      assert.deepStrictEqual((mismatch as Conformance.ConformanceMismatch).differences, [
        "states.ledger.a.at: expected 1000, got 2000",
        "states.ledger.b.at: expected 1000, got 2000"
      ])
      yield* Conformance.check(later, [memory("x"), memory("y")], { ignoreFields: ["at"] })
    })
  )
})
