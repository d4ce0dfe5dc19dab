import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as Counter from "../../examples/counter/Counter.js"
import * as CounterPg from "../../examples/counter/CounterPg.js"
import { Application } from "../../src/index.js"
import { freshDatabase } from "./support.js"

// One call gives a running application on PostgreSQL, from a URL in code or from the environment.
const incrementTwice = Effect.gen(function* () {
  const app = yield* Application.Application
  yield* Counter.increment("apples", 3)
  yield* Counter.increment("apples", 4)
  yield* app.settle()
  assert.strictEqual(app.boundary, "postgres")
  return yield* Counter.value("apples")
})

describe("MailroomPg", () => {
  it.live("layer: the counter on a database given in code", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      assert.strictEqual(yield* incrementTwice.pipe(Effect.provide(CounterPg.layerAt(url))), 7)
      // Durable: a second application on the same database reads the state the first committed.
      assert.strictEqual(yield* Counter.value("apples").pipe(Effect.provide(CounterPg.layerAt(url))), 7)
    }).pipe(Effect.scoped)
  )

  it.live("layerConfig: the counter on DATABASE_URL; a bad setting fails at start naming it", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      const withEnv = (env: Record<string, string>) =>
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      const value = yield* incrementTwice.pipe(
        Effect.provide(Layer.fresh(CounterPg.layer)),
        withEnv({ DATABASE_URL: url, MAILROOM_POLL_INTERVAL: "100 millis" })
      )
      assert.strictEqual(value, 7)
      const refused = yield* Effect.exit(
        Effect.provide(Effect.void, Layer.fresh(CounterPg.layer)).pipe(
          withEnv({ DATABASE_URL: url, MAILROOM_MAILBOX_CAPACITY: "0" })
        )
      )
      assert.isTrue(Exit.isFailure(refused))
      assert.include(String(Exit.isFailure(refused) ? refused.cause : ""), "MAILROOM_MAILBOX_CAPACITY")
    }).pipe(Effect.scoped)
  )
})
