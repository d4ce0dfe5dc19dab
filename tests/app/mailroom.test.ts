import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Counter from "../../examples/counter/Counter.js"
import { Application, Bus, Mailroom } from "../../src/index.js"

// One call gives a running application in memory: the hosts, the actor system, the boundary and the bus feed.
describe("Mailroom.layerMemory", () => {
  it.scoped("runs the given hosts: commands are handled, states read, the feed reports each commit", () =>
    Effect.gen(function* () {
      const app = yield* Application.Application
      const feed = yield* (yield* Bus.Bus).subscribe
      yield* Counter.increment("apples", 3)
      yield* Counter.increment("apples", 4)
      yield* app.settle()
      assert.strictEqual(yield* Counter.value("apples"), 7)
      assert.strictEqual(app.boundary, "memory")
      assert.deepStrictEqual([...app.hosts.keys()], ["counter"])
      const committed = (yield* feed.takeAll).pipe((all) => [...all]).filter((o) => o._tag === "Committed")
      assert.strictEqual(committed.length, 2)
    }).pipe(Effect.provide(Counter.layer))
  )

  it.scoped("passes the boundary's options on: with one id remembered, an older id is free again", () =>
    Effect.gen(function* () {
      const counter = (yield* Application.Application).host(Counter.definition)
      const apples = Counter.Increment.make({ counter: "apples", by: 1 })
      const pears = Counter.Increment.make({ counter: "pears", by: 1 })
      yield* counter.send(apples, { messageId: "a" })
      const reused = yield* Effect.flip(counter.send(pears, { messageId: "a" }))
      assert.strictEqual(reused._tag, "MessageIdReused")
      yield* counter.send(apples, { messageId: "b" })
      // "a" is forgotten once "b" is remembered: the memory boundary keeps one id per host here.
      yield* counter.send(pears, { messageId: "a" })
    }).pipe(
      Effect.provide(Mailroom.layerMemory({ hosts: [Counter.definition], boundary: { rememberedIds: 1 } }))
    )
  )
})
