import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import * as DirectCommit from "../../src/commit/DirectCommit.js"
import * as Decision from "../../src/commit/Decision.js"
import * as Faults from "../../src/commit/Faults.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"

// Fault injection is a test tool: the boundary and the hosts consult it only when its layer is installed below them.

const Add = Schema.TaggedStruct("Add", { key: Schema.String, amount: Schema.Int })
const tally = HostDefinition.fromSchemas({
  name: "tally",
  state: Schema.Struct({ total: Schema.Int }),
  inbound: Add,
  keyOf: (add) => add.key,
  decide: (state, add) => Decision.make({ state: { total: (state?.total ?? 0) + add.amount } })
})

const runtime = Layer.mergeAll(ActorSystem.layer, MessageIds.layer, Bus.layer)
const withoutFaults = Application.layer([tally]).pipe(
  Layer.provideMerge(DirectCommit.layer),
  Layer.provideMerge(runtime)
)
const withFaults = Application.layer([tally]).pipe(
  Layer.provideMerge(DirectCommit.layer),
  Layer.provideMerge(Layer.merge(runtime, Faults.layer))
)

const add = (key: string, amount: number) =>
  Effect.flatMap(Application.Application, (app) =>
    Effect.exit(app.host(tally).actor.ask(key, envelope(key, amount)))
  )
const total = (key: string) =>
  Effect.flatMap(Application.Application, (app) =>
    Effect.map(app.host(tally).state(key), (state) => state?.total)
  )

let sequence = 0
const envelope = (key: string, amount: number) => {
  const wire = tally.encode(Add.make({ key, amount }))
  return Envelope.make(`fault-test-${++sequence}` as Envelope.MessageId, key, wire, 0)
}

describe("Faults", () => {
  it.effect("is not required: without its layer nothing consults it and every commit goes through", () =>
    Effect.gen(function* () {
      assert.isUndefined(yield* Faults.installed)
      assert.strictEqual((yield* add("a", 2))._tag, "Success")
      assert.strictEqual((yield* add("a", 3))._tag, "Success")
      assert.strictEqual(yield* total("a"), 5)
    }).pipe(Effect.provide(withoutFaults))
  )

  // Live clock: the restart after the crash waits for the default backoff.
  it.live(
    "installed below the boundary and the hosts, an armed fault fails the next save and a crash kills the handler",
    () =>
      Effect.gen(function* () {
        const faults = yield* Faults.Faults
        assert.strictEqual(yield* Faults.installed, faults)
        yield* faults.arm("save", 1, "tally")
        const saved = yield* add("b", 2)
        assert.strictEqual(saved._tag, "Failure")
        assert.include(String(saved), "injected save failure")
        assert.strictEqual(yield* total("b"), undefined)
        assert.strictEqual((yield* add("b", 3))._tag, "Success")
        assert.strictEqual(yield* total("b"), 3)
        yield* faults.armCrash({ host: "tally" }, 1)
        // The handler dies once; the supervisor restarts it and the message is handled on its second attempt.
        assert.strictEqual((yield* add("b", 4))._tag, "Success")
        assert.strictEqual(yield* total("b"), 7)
        assert.deepStrictEqual(yield* faults.armed, [])
      }).pipe(Effect.provide(withFaults))
  )
})
