import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import {
  Cause,
  Context,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  Option,
  Queue,
  Scope,
  TestClock
} from "effect"
import * as PgBoundary from "../../src/pg/PgBoundary.js"
import { freePort, freshDatabase, proxy, throughPort } from "./support.js"

// At start, a client waits for PostgreSQL while nothing answers at its address: under the TestClock, a port that opens
// only after three failed attempts (a TCP proxy to this run's server, started then), so the test never sleeps.

describe("waiting for PostgreSQL at start", () => {
  it.scoped("retries with capped backoff, says what it waits for, and starts once the port answers", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      const port = yield* freePort
      const waits = yield* Queue.unbounded<PgBoundary.Waiting>()
      const layer = PgBoundary.layerClient(throughPort(url, port), {
        maxConnections: 2,
        connectRetry: {
          initialDelay: "100 millis",
          maxDelay: "300 millis",
          giveUpAfter: "never",
          onWait: (wait) => Queue.offer(waits, wait)
        }
      })
      const scope = yield* Scope.make()
      yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
      const starting = yield* Effect.fork(Layer.buildWithScope(layer, scope))

      const seen: Array<string> = []
      for (const expected of [100, 200, 300]) {
        const wait = yield* Queue.take(waits)
        assert.strictEqual(wait.address, `127.0.0.1:${port}`)
        assert.strictEqual(Duration.toMillis(wait.nextIn), expected)
        assert.include(wait.error, "ECONNREFUSED")
        seen.push(wait.message)
        // The port opens before the fourth attempt.
        if (expected === 300) yield* proxy(port, new URL(url))
        yield* TestClock.adjust(wait.nextIn)
      }
      assert.match(
        seen[0]!,
        new RegExp(
          `^PostgreSQL at 127\\.0\\.0\\.1:${port} does not answer \\(attempt 1: .*ECONNREFUSED.*\\); next attempt in 100ms, waiting until it does$`
        )
      )
      assert.include(seen[2]!, "(attempt 3:")
      const context = yield* Fiber.join(starting)
      const sql = Context.get(context, SqlClient.SqlClient)
      assert.deepStrictEqual(yield* sql`SELECT 1 AS one`, [{ one: 1 }])
      assert.strictEqual(yield* Queue.size(waits), 0)
    })
  )

  it.scoped(
    "logs each wait as a warning by default, gives up after giveUpAfter, and can be interrupted",
    () =>
      Effect.gen(function* () {
        const port = yield* freePort
        const lines: Array<string> = []
        const logged = yield* Queue.unbounded<void>()
        const logger = Logger.make(({ logLevel, message }) => {
          lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
          Queue.unsafeOffer(logged, undefined)
        })
        const layer = PgBoundary.layerClient(`postgres://postgres@127.0.0.1:${port}/nothing`, {
          connectRetry: { initialDelay: "100 millis", maxDelay: "1 second", giveUpAfter: "250 millis" }
        })
        const starting = yield* Effect.fork(
          Effect.scoped(Layer.build(layer)).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        )
        yield* Queue.take(logged)
        yield* TestClock.adjust("100 millis")
        yield* Queue.take(logged)
        yield* TestClock.adjust("200 millis")
        const exit = yield* Fiber.await(starting)
        assert.isTrue(Exit.isFailure(exit))
        const text = String(Exit.isFailure(exit) ? exit.cause : "")
        assert.include(text, "DatabaseUnreachable")
        assert.include(text, `PostgreSQL at 127.0.0.1:${port} did not answer within 250ms`)
        assert.include(text, "ECONNREFUSED")
        assert.strictEqual(lines.length, 2)
        assert.match(
          lines[0]!,
          /^WARN PostgreSQL at .* \(attempt 1: .*\); next attempt in 100ms, giving up after 250ms$/
        )

        // Interrupted while it waits (Ctrl-C), it stops at once.
        const waiting = yield* Effect.fork(
          Effect.scoped(
            Layer.build(
              PgBoundary.layerClient(`postgres://postgres@127.0.0.1:${port}/nothing`, {
                connectRetry: { giveUpAfter: "never", onWait: () => Queue.offer(logged, undefined) }
              })
            )
          )
        )
        yield* Queue.take(logged)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(waiting)))
      })
  )

  it.scoped("a failure that waiting cannot cure (no such database) answers at once", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      const missing = new URL(url)
      missing.pathname = "/mailroom_no_such_database"
      let waited = 0
      const exit = yield* Effect.exit(
        Effect.scoped(
          Layer.build(
            PgBoundary.layerClient(missing.href, {
              connectRetry: {
                giveUpAfter: "never",
                onWait: () =>
                  Effect.sync(() => {
                    waited++
                  })
              }
            })
          )
        )
      )
      const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
      assert.isTrue(Option.isSome(failure))
      // Our own error, naming the operation, with the server's answer.
      const error = Option.getOrThrow(failure)
      assert.strictEqual(error._tag, "PersistenceError")
      if (error._tag === "PersistenceError") {
        assert.match(error.operation, /^connect to /)
        assert.include(error.message, "mailroom_no_such_database")
        assert.isUndefined(error.unavailable)
      }
      assert.strictEqual(waited, 0)
    })
  )
})
