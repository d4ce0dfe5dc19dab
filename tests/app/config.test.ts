import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Bus from "../../src/commit/Bus.js"
import * as Faults from "../../src/commit/Faults.js"
import * as PgBoundary from "../../src/pg/PgBoundary.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"

const build = (env: Record<string, string>) =>
  Layer.build(PgBoundary.layerConfig(ImperialApp.definitions)).pipe(
    Effect.provide(Layer.merge(Bus.layer, Faults.layer)),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.scoped,
    Effect.exit
  )

const failureText = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) ? String(exit.cause) : "succeeded"

describe("PgBoundary.layerConfig", () => {
  it.effect("fails at start naming a missing DATABASE_URL", () =>
    Effect.gen(function* () {
      const exit = yield* build({})
      assert.isTrue(Exit.isFailure(exit))
      assert.include(failureText(exit), "DATABASE_URL")
    })
  )

  it.effect("fails at start naming an invalid MAILROOM_* variable", () =>
    Effect.gen(function* () {
      for (const [name, value] of [
        ["MAILROOM_MAX_ATTEMPTS", "many"],
        ["MAILROOM_MAX_ATTEMPTS", "0"],
        ["MAILROOM_POLL_INTERVAL", "soon"],
        ["MAILROOM_SCHEMA_PREFIX", "Bad-Prefix"],
        ["MAILROOM_LISTEN", "perhaps"]
      ] as const) {
        const exit = yield* build({ DATABASE_URL: "postgres://nowhere.invalid/db", [name]: value })
        assert.isTrue(Exit.isFailure(exit), `${name}=${value} should fail`)
        assert.include(failureText(exit), name)
      }
    })
  )

  it.effect("refuses relay settings whose inbox marks expire before redeliveries end", () =>
    Effect.gen(function* () {
      const exit = yield* build({
        DATABASE_URL: "postgres://nowhere.invalid/db",
        MAILROOM_INBOX_RETENTION: "1 hours",
        MAILROOM_OUTBOX_RETENTION: "1 days"
      })
      assert.isTrue(Exit.isFailure(exit))
      assert.include(failureText(exit), "inbox retention")
    })
  )
})

describe("ActorSystem.layerConfig", () => {
  const buildSystem = (env: Record<string, string>) =>
    Layer.build(ActorSystem.layerConfig).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.scoped,
      Effect.exit
    )

  it.effect("starts with defaults and with valid settings", () =>
    Effect.gen(function* () {
      assert.isTrue(Exit.isSuccess(yield* buildSystem({})))
      assert.isTrue(
        Exit.isSuccess(
          yield* buildSystem({ MAILROOM_MAILBOX_CAPACITY: "16", MAILROOM_IDLE_TIMEOUT: "5 seconds" })
        )
      )
    })
  )

  it.effect("fails at start naming an invalid variable", () =>
    Effect.gen(function* () {
      for (const [name, value] of [
        ["MAILROOM_MAILBOX_CAPACITY", "0"],
        ["MAILROOM_IDLE_TIMEOUT", "later"],
        ["MAILROOM_MAX_CONCURRENT_KEYS", "-2"],
        ["MAILROOM_POISON_ATTEMPTS", "x"]
      ] as const) {
        const exit = yield* buildSystem({ [name]: value })
        assert.isTrue(Exit.isFailure(exit), `${name}=${value} should fail`)
        assert.include(failureText(exit), name)
      }
    })
  )
})
