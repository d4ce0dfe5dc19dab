import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Bus from "../../src/commit/Bus.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Relay from "../../src/commit/Relay.js"
import * as PgBoundary from "../../src/pg/PgBoundary.js"
import { freshDatabase } from "./support.js"

const runtime = Layer.merge(Bus.layer, Faults.layer)

// Every commit writer, front-door writer and relay loop keeps a connection of the pool; the statements that need one
// besides them (a failed delivery's bookkeeping among them) would wait forever if the pool had none left.
describe("pool size of the durable boundary", () => {
  it("counts the connections it keeps, plus a few for everything else", () => {
    const hosts = ImperialApp.definitions
    // 2 hosts x (1 commit + 2 front-door writers + the relay's inbox writes and outbox marks)
    // + 2 local hosts x (outbox claim + 1 delivery claim) + LISTEN + 3 spare
    assert.strictEqual(PgBoundary.connectionsNeeded({ hosts }), 18)
    assert.strictEqual(PgBoundary.connectionsNeeded({ hosts, relay: { workers: 4 } }), 24)
    assert.strictEqual(PgBoundary.connectionsNeeded({ hosts, local: ["rondel"], relay: { workers: 4 } }), 19)
    // A database holding one host counts only that host's connections.
    assert.strictEqual(PgBoundary.connectionsNeeded({ hosts }, ["accounting"]), 11)
    assert.strictEqual(PgBoundary.defaultPoolSize({ hosts }), 18)
    assert.strictEqual(PgBoundary.defaultPoolSize({ hosts, relay: { workers: 4 } }), 24)
  })

  it.scopedLive("a pool too small for the settings is refused at start, saying how large it must be", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      const exit = yield* Layer.build(
        PgBoundary.layer({ hosts: ImperialApp.definitions, relay: { workers: 8 } }).pipe(
          Layer.provide(Layer.merge(runtime, PgBoundary.layerClient(url, { maxConnections: 16 })))
        )
      ).pipe(Effect.scoped, Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      const text = Exit.isFailure(exit) ? String(exit.cause) : ""
      assert.include(text, "InvalidRelaySettings")
      assert.include(text, "at least 32 connections")
      assert.include(text, "MAILROOM_PG_MAX_CONNECTIONS")
    })
  )

  it.scopedLive(
    "from the environment, an unset pool size follows the settings: many workers still start",
    () =>
      Effect.gen(function* () {
        const { url } = yield* freshDatabase()
        const settings = new Map([
          ["DATABASE_URL", url],
          ["MAILROOM_RELAY_WORKERS", "8"]
        ])
        // With 8 workers the boundary keeps 32 connections of a database: a pool of the old default (16) would be
        // refused at start, as above; sized from the settings, the boundary starts and reports.
        const stats = yield* Effect.flatMap(Relay.Relay, (relay) => relay.stats).pipe(
          Effect.provide(PgBoundary.layerConfig(ImperialApp.definitions).pipe(Layer.provide(runtime))),
          Effect.withConfigProvider(ConfigProvider.fromMap(settings))
        )
        assert.deepStrictEqual(
          stats.map((s) => [s.host, s.unreachable]),
          [
            ["rondel", undefined],
            ["accounting", undefined]
          ]
        )
      })
  )
})
