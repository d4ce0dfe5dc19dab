import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Routing from "../../src/commit/Routing.js"
import * as FlowGraph from "../../src/operate/FlowGraph.js"
import * as FlowList from "../../src/operate/FlowList.js"
import * as History from "../../src/operate/History.js"
import { Journal } from "../../src/operate/Journal.js"
import * as Lanes from "../../src/operate/Lanes.js"
import * as MemoryJournal from "../../src/operate/MemoryJournal.js"
import * as SequenceDiagram from "../../src/operate/SequenceDiagram.js"
import * as TestApp from "../../src/testing/TestApp.js"
import { accounting, game, layer, move, rondel, setUp, toRondel } from "../app/imperialFixtures.js"

// A paid move's flow read back from the hosts' audit logs (memory): its history, swimlanes and sequence diagram; a
// charge parked by Accounting's supervisor shows as parked, and redriving it through the journal completes the flow.

const routing = Routing.make([rondel, accounting])
const journal = Effect.provide(Journal, MemoryJournal.layer([rondel, accounting]))

const flowOf = (correlationId: string) =>
  Effect.gen(function* () {
    const j = yield* journal
    return FlowGraph.make(correlationId, yield* j.flow(correlationId), routing)
  })

describe("flows read from a running application", () => {
  it.effect("a paid move: Rondel → Accounting → Rondel, in causal order, every delivery handled", () =>
    Effect.gen(function* () {
      const g = game("flow-1")
      yield* setUp(g, ["Germany", "Italy"], 20)
      yield* toRondel(move(g, "Germany", "Investor"))
      const paid = yield* toRondel(move(g, "Germany", "Factory"))
      yield* TestApp.settle()

      const j = yield* journal
      assert.strictEqual(yield* j.locate(`${paid.messageId}.1.0`), paid.messageId)
      const graph = yield* flowOf(paid.messageId)
      assert.deepStrictEqual(
        graph.steps.map((s) => [
          s.envelope.type,
          s.producer,
          s.kind,
          s.depth,
          s.deliveries.map((d) => `${d.host}:${d.fate}`)
        ]),
        [
          ["Move", "outside", "input", 0, ["rondel:handled"]],
          ["MovementAwaitingPayment", "rondel", "event", 1, []],
          ["ChargeMovement", "rondel", "command", 1, ["accounting:handled"]],
          ["RondelInvoicePaid", "accounting", "event", 2, ["rondel:handled"]],
          ["ActionDetermined", "rondel", "event", 3, []]
        ]
      )
      assert.isTrue(FlowGraph.isSettled(graph))

      const history = History.make(graph, `${paid.messageId}.1`)!
      assert.deepStrictEqual(
        history.causes.map((s) => s.envelope.type),
        ["Move"]
      )
      assert.deepStrictEqual(
        history.produced.map((s) => [s.envelope.type, s.depth]),
        [
          ["RondelInvoicePaid", 1],
          ["ActionDetermined", 2]
        ]
      )
      const text = History.render(history, j.locations)
      assert.include(text, "command sent by rondel to accounting")
      assert.include(text, `RondelInvoicePaid ${paid.messageId}.1.0 (event by accounting) → rondel: handled`)

      const lanes = Lanes.render(graph).split("\n")
      assert.match(lanes[1]!, /^\s+outside\s+rondel\s+accounting$/)
      assert.match(lanes.find((l) => l.includes("ChargeMovement"))!, /●─+▶■ +ChargeMovement/)
      assert.match(lanes.find((l) => l.includes("RondelInvoicePaid"))!, /■◀─+● +RondelInvoicePaid/)

      const mermaid = SequenceDiagram.render(graph)
      assert.include(mermaid, `rondel->>accounting: ChargeMovement ${paid.messageId}.1`)
      assert.include(mermaid, `accounting-->>rondel: RondelInvoicePaid ${paid.messageId}.1.0`)
    }).pipe(Effect.provide(layer()))
  )

  it.effect(
    "a charge parked by Accounting's supervisor: parked in the lanes and the flow list; redrive completes it",
    () =>
      Effect.gen(function* () {
        const g = game("flow-2")
        yield* setUp(g, ["Germany"], 20)
        yield* toRondel(move(g, "Germany", "Investor"))
        yield* TestApp.crashOn({ host: "accounting", type: "ChargeMovement" }, 3)
        const paid = yield* toRondel(move(g, "Germany", "Factory"))
        yield* TestApp.settle()

        const j = yield* journal
        const parkedGraph = yield* flowOf(paid.messageId)
        const charge = parkedGraph.steps.find((s) => s.envelope.type === "ChargeMovement")!
        assert.strictEqual(charge.deliveries[0]!.fate, "parked in mailbox")
        assert.strictEqual(charge.deliveries[0]!.attempts, 3)
        assert.isFalse(FlowGraph.isSettled(parkedGraph))
        assert.include(Lanes.render(parkedGraph), "✖")
        assert.include(SequenceDiagram.render(parkedGraph), "rondel-xaccounting")

        const now = parkedGraph.lastAt
        const stuck = FlowList.summarize(yield* j.recent(100), routing, { now, stuckForMillis: 0 })
        assert.deepStrictEqual(
          stuck.map((f) => [f.correlationId, f.status, f.parked]),
          [[paid.messageId, "parked", 1]]
        )

        const [parked] = yield* j.parked
        assert.strictEqual(parked!.messageId, `${paid.messageId}.1`)
        assert.isTrue(yield* j.redrive(parked!.id))
        assert.isFalse(yield* j.redrive(parked!.id))
        yield* TestApp.settle()
        assert.isTrue(FlowGraph.isSettled(yield* flowOf(paid.messageId)))
        assert.deepStrictEqual(
          FlowList.summarize(yield* j.recent(100), routing, { now, stuckForMillis: 0 }),
          []
        )
      }).pipe(Effect.provide(layer()))
  )
})
