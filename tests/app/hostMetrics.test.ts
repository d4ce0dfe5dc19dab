import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, Schema } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as DirectCommit from "../../src/commit/DirectCommit.js"
import * as Decision from "../../src/commit/Decision.js"
import * as Host from "../../src/commit/Host.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"

// Every handled message is timed in `mailroom_host_handle_duration`, in the series of its host.

const Tick = Schema.TaggedStruct("Tick", { key: Schema.String })
const definition = (name: string) =>
  HostDefinition.fromSchemas({
    name,
    state: Schema.Struct({ ticks: Schema.Int }),
    inbound: Tick,
    keyOf: (tick) => tick.key,
    decide: (state) => Decision.make({ state: { ticks: (state?.ticks ?? 0) + 1 } })
  })
const timed = definition("timed_host")
const other = definition("other_host")

const layer = Application.layer([timed, other]).pipe(
  Layer.provideMerge(DirectCommit.layerMemory),
  Layer.provideMerge(Layer.merge(ActorSystem.layer, MessageIds.layer))
)

const countOf = (host: string) =>
  Effect.map(Metric.value(Metric.tagged(Host.hostHandleDuration, "host", host)), (state) => state.count)

describe("host metrics", () => {
  it.effect("counts each handled message in its host's series of the handle-duration histogram", () =>
    Effect.gen(function* () {
      const app = yield* Application.Application
      const before = { timed: yield* countOf("timed_host"), other: yield* countOf("other_host") }
      for (const key of ["a", "b", "a"]) yield* app.host(timed).send(Tick.make({ key }))
      yield* app.host(other).send(Tick.make({ key: "a" }))
      yield* app.settle()
      assert.strictEqual((yield* countOf("timed_host")) - before.timed, 3)
      assert.strictEqual((yield* countOf("other_host")) - before.other, 1)
      assert.strictEqual((yield* app.host(timed).state("a"))?.ticks, 2)
      // One series per host: what an exporter reads is the same series as the timer above.
      const series = (yield* Metric.snapshot).filter(
        (pair) =>
          pair.metricKey.name === "mailroom_host_handle_duration" &&
          pair.metricKey.tags.some((label) => label.key === "host" && label.value === "timed_host")
      )
      assert.strictEqual(series.length, 1)
    }).pipe(Effect.provide(layer))
  )
})
