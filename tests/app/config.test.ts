import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Bus from "../../src/commit/Bus.js"
import * as Faults from "../../src/commit/Faults.js"
import * as PgBoundary from "../../src/pg/PgBoundary.js"

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
