import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Counter from "../../examples/counter/Counter.js"
import { Application, Bus, Mailroom, Replay } from "../../src/index.js"

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

  it.scoped(
    "keeps a bounded audit log: the oldest entries go past the limit, seq keeps counting, replay says why it cannot",
    () =>
      Effect.gen(function* () {
        const app = yield* Application.Application
        const counter = app.host(Counter.definition)
        for (let i = 1; i <= 25; i++) yield* Counter.increment("apples", 1).pipe(Effect.zipLeft(app.settle()))
        yield* Counter.increment("pears", 1)
        yield* app.settle()
        const apples = yield* counter.audit("apples")
        // At most the limit plus a tenth of it are kept, the newest; seq counts every entry ever written.
        assert.isAtMost(apples.length, 11)
        assert.isAtLeast(apples.length, 9)
        assert.deepStrictEqual(
          apples.map((entry) => entry.seq),
          Array.from({ length: apples.length }, (_, i) => 26 - apples.length + i)
        )
        assert.strictEqual(apples.at(-1)!.version, 10, "the state's version (the counter stops at its limit)")
        const reports = yield* Replay.verify(Counter.definition)
        const byKey = new Map(reports.map((report) => [report.key, report]))
        assert.match(
          byKey.get("apples")!.problem ?? "",
          /starts at version \d+: the entries before were dropped/
        )
        // A key whose whole log is kept still replays.
        assert.deepStrictEqual(byKey.get("pears"), {
          host: "counter",
          key: "pears",
          entries: 1,
          differences: []
        })
      }).pipe(
        Effect.provide(Mailroom.layerMemory({ hosts: [Counter.definition], boundary: { auditLimit: 10 } }))
      )
  )
})
