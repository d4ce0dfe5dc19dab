import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema, TestClock } from "effect"
import type { AuditEntry } from "../../src/commit/CommitBoundary.js"
import * as Decision from "../../src/commit/Decision.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"
import type { Envelope, MessageId } from "../../src/runtime/Envelope.js"
import * as Conformance from "../../src/testing/Conformance.js"
import * as Canonical from "../../src/testing/internal/canonical.js"
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
      if (state?.applied.includes(ctx.messageId)) return Decision.none
      const total = (state?.total ?? 0) + step(m.n)
      return Decision.make({
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
    Decision.make({ state: { receipts: [...(state?.receipts ?? []), m.receipt], at: ctx.now } })
})

const add = (name: string, n: number) =>
  Effect.flatMap(TestApp.host(counter), (host) => host.send(Add.make({ counter: name, n })))

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
      // Messages are listed per key by producer: here the outside world (the scenario) and counter `a`.
      assert.deepStrictEqual(Object.keys(first!.handled.ledger!.a!), ["counter/a"])
      assert.deepStrictEqual(
        first!.handled.counter!.a![Conformance.outside]!.map((h) => [
          h.id,
          h.type,
          h.produced.map((p) => p.id)
        ]),
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

  describe("what is compared: what a boundary promises, per key and per producer", () => {
    // Two hosts as the Imperial flow has them: a game's rondel sends a charge to accounting, whose reply comes
    // back to the same game while the next move from outside may already be waiting. The logs are written by
    // hand, as two boundaries could leave them.
    const move = (n: number) => envelope(`m-${n}`, "g", "Move", { n })
    const charge = envelope("m-1.0", "g", "Charge", { bill: "bill-m-1" }, "m-1")
    const paid = envelope("m-1.0.0", "g", "Paid", { bill: "bill-m-1" }, "m-1.0")
    const charge2 = envelope("m-2.0", "g", "Charge", { bill: "bill-m-2" }, "m-2")
    const paid2 = envelope("m-2.0.0", "g", "Paid", { bill: "bill-m-2" }, "m-2.0")
    const accounting = [entry("accounting", charge, [paid]), entry("accounting", charge2, [paid2])]
    const outcomeOf = (target: string, rondel: ReadonlyArray<AuditEntry>) =>
      Canonical.outcomeOf(
        target,
        [
          { host: "accounting", keys: ["g"], states: [], log: accounting },
          { host: "rondel", keys: ["g"], states: [], log: rondel }
        ],
        []
      )
    const reference = outcomeOf("memory", [
      entry("rondel", move(1), [charge]),
      entry("rondel", paid),
      entry("rondel", move(2), [charge2]),
      entry("rondel", paid2),
      entry("rondel", move(3))
    ])

    it("the reply overtaken by the next move from outside (another producer) is the same outcome", () => {
      // The failure seen under load: rondel handled move 2 before the reply to move 1 on one boundary only.
      const overtaken = outcomeOf("postgres", [
        entry("rondel", move(1), [charge]),
        entry("rondel", move(2), [charge2]),
        entry("rondel", paid),
        entry("rondel", move(3)),
        entry("rondel", paid2)
      ])
      assert.deepStrictEqual(Conformance.differences(reference, overtaken), [])
      assert.deepStrictEqual(
        Object.entries(overtaken.handled.rondel!.g!).map(([producer, list]) => [
          producer,
          list.map((h) => h.id)
        ]),
        [
          ["outside", ["rondel/g#1", "rondel/g#2", "rondel/g#3"]],
          ["accounting/g", ["rondel/g#1.0.0", "rondel/g#2.0.0"]]
        ]
      )
    })

    it("one producer's messages handled in another order are reported", () => {
      const swapped = outcomeOf("postgres", [
        entry("rondel", move(1), [charge]),
        entry("rondel", move(2), [charge2]),
        entry("rondel", paid2),
        entry("rondel", paid),
        entry("rondel", move(3))
      ])
      assert.include(
        Conformance.differences(reference, swapped),
        'handled.rondel.g.accounting/g[0].id: expected "rondel/g#1.0.0", got "rondel/g#2.0.0"'
      )
    })

    it("a message handled once more with another outcome, or missing, is reported", () => {
      const twice = outcomeOf("postgres", [
        entry("rondel", move(1), [charge]),
        entry("rondel", paid),
        entry("rondel", move(2), [charge2]),
        entry("rondel", paid2),
        entry("rondel", move(3)),
        entry("rondel", move(4))
      ])
      assert.include(
        Conformance.differences(reference, twice),
        "handled.rondel.g.outside: 3 items expected, got 4"
      )
      const lost = outcomeOf("postgres", [
        entry("rondel", move(1), [charge]),
        entry("rondel", paid),
        entry("rondel", move(2), [charge2]),
        entry("rondel", move(3))
      ])
      assert.include(
        Conformance.differences(reference, lost),
        "handled.rondel.g.accounting/g: 2 items expected, got 1"
      )
    })
  })
})

// internal

function envelope(id: string, key: string, type: string, payload: unknown, cause = id): Envelope {
  return {
    messageId: id as MessageId,
    causationId: cause as MessageId,
    correlationId: id.split(".")[0] as MessageId,
    key,
    type,
    version: 1,
    payload,
    occurredAt: 0
  }
}

function entry(host: string, message: Envelope, produced: ReadonlyArray<Envelope> = []): AuditEntry {
  return {
    seq: 0,
    host,
    key: message.key,
    message,
    events: [],
    commands: produced,
    stateChanged: true,
    version: 0,
    committedAt: 0
  }
}
