import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Counter from "../../examples/counter/Counter.js"
import { Decision, HostDefinition } from "../../src/index.js"
import { GivenWhenThen, Simulation, TestApp } from "../../src/testing/index.js"

// Testing your hosts, three ways: the pure decide with given/when/then; the running application in memory with
// TestApp (settle, faults, the recorder); and the seeded simulation of crashes, duplicates and reordering.

// The host under test is the counter of examples/counter (Increment → Incremented, never above 10). A second
// bounded context subscribes to its events: a statement listing each new value.
const statement = HostDefinition.fromSchemas({
  name: "statement",
  state: Schema.Struct({ lines: Schema.Array(Schema.Int) }),
  inbound: Counter.Incremented,
  keyOf: (event) => event.counter,
  decide: (state, event) => Decision.make({ state: { lines: [...(state?.lines ?? []), event.value] } })
})

const increment = (counter: string, by: number) => Counter.Increment.make({ counter, by })
const send = (counter: string, by: number) =>
  Effect.flatMap(TestApp.host(Counter.definition), (host) => host.send(increment(counter, by)))

describe("testing your hosts", () => {
  it("decide: given what happened, when a message comes, then these events and this state", () => {
    GivenWhenThen.for(Counter.definition)
      .given(increment("apples", 3))
      .when(increment("apples", 4))
      .thenEmits({ events: [Counter.Incremented.make({ counter: "apples", value: 7 })] })
      .thenState({ value: 7 })

    GivenWhenThen.for(Counter.definition)
      .given(increment("apples", 8))
      .when(increment("apples", 5))
      .thenEmits({
        events: [Counter.IncrementRejected.make({ counter: "apples", by: 5, reason: "would pass 10" })]
      })
      .thenState({ value: 8 })
  })

  describe("the application in memory (TestApp: settle, faults, recorder)", () => {
    const layer = TestApp.layer([Counter.definition, statement])

    it.effect("commands flow from the counter to the statement", () =>
      Effect.gen(function* () {
        const first = yield* send("apples", 3)
        yield* send("apples", 4)
        yield* TestApp.settle()

        assert.deepStrictEqual(yield* TestApp.stateOf(Counter.definition, "apples"), { value: 7 })
        assert.deepStrictEqual(yield* TestApp.stateOf(statement, "apples"), { lines: [3, 7] })
        // Ids are deterministic: m-1, m-2 from outside, and <cause>.<index> for what a commit produced.
        const recorder = yield* TestApp.delivered
        assert.deepStrictEqual(
          (yield* recorder.delivered("statement")).map((e) => [e.messageId, e.causationId]),
          [
            ["m-1.0", first.messageId],
            ["m-2.0", "m-2"]
          ]
        )
      }).pipe(Effect.provide(layer))
    )

    it.effect("a subscriber that crashes is restarted and handles the message once", () =>
      Effect.gen(function* () {
        yield* TestApp.crashOn({ host: "statement", type: "Incremented" }, 1)
        yield* send("pears", 2)
        yield* TestApp.settle()

        assert.deepStrictEqual(yield* TestApp.stateOf(statement, "pears"), { lines: [2] })
        assert.deepStrictEqual(yield* TestApp.parked("statement"), [])
      }).pipe(Effect.provide(layer))
    )

    it.effect("a failed publish is reported, not swallowed (the memory boundary's documented window)", () =>
      Effect.gen(function* () {
        yield* TestApp.failNext("publish", 1, "statement")
        yield* send("plums", 5)
        yield* TestApp.settle()

        const failures = yield* (yield* TestApp.delivered).deliveryFailures
        assert.deepStrictEqual(
          failures.map((f) => [f.step, f.to, f.envelope.type]),
          [["publish", "statement", "Incremented"]]
        )
        assert.deepStrictEqual(yield* TestApp.stateOf(Counter.definition, "plums"), { value: 5 })
        assert.isUndefined(yield* TestApp.stateOf(statement, "plums"))
      }).pipe(Effect.provide(layer))
    )
  })

  describe("simulation: seeded crashes, duplicates and reordering on a simulated durable store", () => {
    // A workload is a function of the seed's generator; the same submission twice is a client retrying.
    const workload: Simulation.Workload = (rng) => {
      const items: Array<Simulation.Submission> = []
      for (let i = rng.int(3, 20); i > 0; i--) {
        const again = items.length > 0 && rng.chance(0.1)
        items.push(
          again
            ? rng.pick(items)
            : Simulation.send(Counter.definition, increment(rng.pick(["apples", "pears"]), rng.int(1, 5)))
        )
      }
      return items
    }

    // Your invariants, over the hosts' states and logs: after every step, or once everything is delivered.
    const invariants = [
      Simulation.invariant("a statement only goes up", (world) => {
        for (const [key, { lines }] of Simulation.statesOf(world, statement)) {
          if (lines.some((value, i) => i > 0 && value <= lines[i - 1]!)) return `${key}: ${lines.join(", ")}`
        }
      }),
      Simulation.invariant("a counter never passes the limit", (world) =>
        Simulation.statesOf(world, Counter.definition).every(([, state]) => state.value <= Counter.limit)
      ),
      Simulation.atConvergence("the statement ends where the counter is", (world) => {
        for (const [key, { value }] of Simulation.statesOf(world, Counter.definition)) {
          const lines = world.state(statement, key)?.lines ?? []
          if (lines.at(-1) !== value) return `${key}: counter at ${value}, statement at ${lines.at(-1)}`
        }
      })
    ]

    const simulation: Simulation.SimulationOptions = {
      hosts: [Counter.definition, statement],
      workload,
      invariants
    }

    it.effect("200 seeds: every invariant holds", () =>
      Effect.gen(function* () {
        const summary = yield* Simulation.check(simulation, { seeds: 200 })
        assert.isAbove(summary.faults.crashAfterCommit, 0)
        assert.isAbove(summary.duplicatesDropped, 0)
      })
    )

    it.effect("without the inbox, a duplicate is applied twice: the seed and a minimal trace say how", () =>
      Effect.gen(function* () {
        // The counter's decide is not idempotent: it relies on the durable boundary's inbox. A test-only broken
        // store forgets processed ids, and the boundary's own invariant catches the second commit.
        const broken = { ...simulation, store: { broken: "inbox" as const } }
        const failed = yield* Effect.flip(Simulation.check(broken, { seeds: 200 }))

        assert.strictEqual(failed.violation.invariant, Simulation.boundaryInvariants.atMostOnce)
        assert.include(failed.message, `Simulation failed with seed ${failed.seed}`)
        assert.isAtMost(failed.minimal.stats.steps, failed.run.stats.steps)
        // Printed on failure: the seed, the broken invariant and the minimal trace; the seed reproduces both.
        const again = yield* Effect.flip(Simulation.reproduce(broken, failed.seed))
        assert.deepStrictEqual(again.run.trace, failed.run.trace)
        assert.deepStrictEqual(again.minimal.trace, failed.minimal.trace)
      })
    )
  })
})
