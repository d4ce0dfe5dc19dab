import * as PgClient from "@effect/sql-pg/PgClient"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Bus from "../../src/commit/Bus.js"
import * as Faults from "../../src/commit/Faults.js"
import * as PgBoundary from "../../src/pg/PgBoundary.js"
import { freshDatabase } from "./support.js"

const runtime = Layer.merge(Bus.layer, Faults.layer)

// Every commit writer, submit writer and relay loop keeps a connection of the pool; the statements that need one
// besides them (a failed delivery's bookkeeping among them) would wait forever if the pool had none left.
describe("pool size of the durable boundary", () => {
  it("counts the connections it keeps, plus a few for everything else", () => {
    const hosts = ImperialApp.definitions
    // 2 hosts x (1 commit + 2 submit writers) + 2 local hosts x (mover + 1 delivery worker) + LISTEN + 3 spare
    assert.strictEqual(PgBoundary.connectionsNeeded({ hosts }), 14)
    assert.strictEqual(PgBoundary.connectionsNeeded({ hosts, relay: { workers: 4 } }), 20)
    assert.strictEqual(PgBoundary.connectionsNeeded({ hosts, local: ["rondel"], relay: { workers: 4 } }), 15)
    assert.strictEqual(PgBoundary.defaultPoolSize({ hosts }), 16)
    assert.strictEqual(PgBoundary.defaultPoolSize({ hosts, relay: { workers: 4 } }), 20)
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
      assert.include(text, "at least 28 connections")
      assert.include(text, "MAILROOM_PG_MAX_CONNECTIONS")
    })
  )

  it.scopedLive("from the environment, an unset pool size follows the settings", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      const env = new Map([
        ["DATABASE_URL", url],
        ["MAILROOM_RELAY_WORKERS", "8"]
      ])
      const maxConnections = (settings: Map<string, string>) =>
        Effect.map(PgClient.PgClient, (pg) => pg.config.maxConnections).pipe(
          Effect.provide(PgBoundary.layerConfig(ImperialApp.definitions).pipe(Layer.provide(runtime))),
          Effect.withConfigProvider(ConfigProvider.fromMap(settings))
        )
      assert.strictEqual(yield* maxConnections(env), 28)
      // Set, it is taken as given (and refused if too small, as above).
      assert.strictEqual(yield* maxConnections(new Map([...env, ["MAILROOM_PG_MAX_CONNECTIONS", "40"]])), 40)
    })
  )
})
