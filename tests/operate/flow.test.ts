import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as Decision from "../../src/commit/Decision.js"
import type { AnyHostDefinition } from "../../src/commit/HostDefinition.js"
import * as Routing from "../../src/commit/Routing.js"
import * as FlowGraph from "../../src/operate/FlowGraph.js"
import * as FlowList from "../../src/operate/FlowList.js"
import * as History from "../../src/operate/History.js"
import { Journal } from "../../src/operate/Journal.js"
import * as Lanes from "../../src/operate/Lanes.js"
import * as MemoryJournal from "../../src/operate/MemoryJournal.js"
import * as SequenceDiagram from "../../src/operate/SequenceDiagram.js"
import * as TestApp from "../../src/testing/TestApp.js"
import {
  accounting,
  game,
  layer,
  move,
  open,
  rondel,
  setUp,
  start,
  toRondel
} from "../app/imperialFixtures.js"

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
          ["ActionDetermined", "rondel", "event", 3, []],
          // The payment came first: its handling cancelled the move's deadline.
          ["PaymentDeadline", "rondel", "timer", 1, ["rondel:cancelled"]]
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

  it.effect(
    "a payment that never comes: the move's deadline is a scheduled timer in the flow, then fires and is handled",
    () =>
      Effect.gen(function* () {
        const g = game("flow-3")
        const send = (definition: AnyHostDefinition, message: Contracts.Message) =>
          Effect.flatMap(TestApp.host(definition), (host) => host.send(message as never))
        yield* send(rondel, start(g, ["Germany"]))
        yield* send(silentAccounting, open(g, ["Germany"], 20))
        yield* TestApp.settle()
        yield* send(rondel, move(g, "Germany", "Investor"))
        const paid = yield* send(rondel, move(g, "Germany", "Factory"))
        yield* TestApp.settle()

        const silentFlow = Effect.gen(function* () {
          const j = yield* silentJournal
          return { j, graph: FlowGraph.make(paid.messageId, yield* j.flow(paid.messageId), routing) }
        })
        const { j, graph } = yield* silentFlow
        const deadline = graph.steps.find((s) => s.envelope.type === "PaymentDeadline")!
        assert.deepStrictEqual(
          [
            deadline.kind,
            deadline.producer,
            deadline.envelope.messageId,
            deadline.deliveries.map((d) => d.fate)
          ],
          ["timer", "rondel", `${paid.messageId}.t0`, ["scheduled"]]
        )
        assert.strictEqual(deadline.dueAt, paid.occurredAt + 60_000)
        assert.isBelow(
          graph.lastAt,
          deadline.dueAt!,
          "a timer not yet handled is not part of the flow's span"
        )
        assert.isFalse(FlowGraph.isSettled(graph))
        // A timer waits from its due time: not stuck before it, stuck once it is overdue for longer than asked.
        const recent = yield* j.recent(100)
        assert.deepStrictEqual(
          FlowList.summarize(recent, routing, { now: deadline.dueAt! - 1, stuckForMillis: 0 }),
          []
        )
        assert.deepStrictEqual(
          FlowList.summarize(recent, routing, { now: deadline.dueAt! + 5_000, stuckForMillis: 1_000 }).map(
            (f) => [f.correlationId, f.status]
          ),
          [[paid.messageId, "waiting"]]
        )
        const lane = Lanes.render(graph)
          .split("\n")
          .find((l) => l.includes("PaymentDeadline"))!
        assert.include(lane, "◷")
        assert.include(lane, `timer → rondel: scheduled, due ${new Date(deadline.dueAt!).toISOString()}`)
        assert.include(SequenceDiagram.render(graph), `rondel-)rondel: PaymentDeadline ${paid.messageId}.t0`)
        assert.include(
          History.render(History.make(graph, `${paid.messageId}.t0`)!, j.locations),
          `timer scheduled by rondel for rondel, due ${new Date(deadline.dueAt!).toISOString()}`
        )

        yield* TestClock.adjust("60 seconds")
        yield* TestApp.settle()
        const fired = (yield* silentFlow).graph
        assert.deepStrictEqual(
          fired.steps.map((s) => [s.envelope.type, s.kind, s.deliveries.map((d) => `${d.host}:${d.fate}`)]),
          [
            ["Move", "input", ["rondel:handled"]],
            ["MovementAwaitingPayment", "event", []],
            ["ChargeMovement", "command", ["accounting:handled"]],
            ["PaymentDeadline", "timer", ["rondel:handled"]],
            ["MoveToActionSpaceRejected", "event", []],
            ["VoidCharge", "command", ["accounting:handled"]]
          ]
        )
        assert.isTrue(FlowGraph.isSettled(fired))
      }).pipe(Effect.provide(TestApp.layer([rondel, silentAccounting])))
  )
})

// Accounting deaf to charges: it takes them and does nothing, as a context that never answers.
const silentAccounting: AnyHostDefinition = {
  ...accounting,
  decide: (state, message, context) =>
    (message as { readonly _tag: string })._tag === "ChargeMovement"
      ? Decision.none
      : accounting.decide(state as never, message as never, context)
}
const silentJournal = Effect.provide(Journal, MemoryJournal.layer([rondel, silentAccounting]))
