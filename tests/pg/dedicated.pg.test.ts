import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Dedicated from "../../src/pg/internal/dedicated.js"
import { layerFreshDatabase } from "./support.js"

const pidOf = (connection: Dedicated.Dedicated) =>
  Effect.map(
    connection.execute<{ pid: number }>("SELECT pg_backend_pid() AS pid", []),
    (rows) => rows[0]!.pid
  )

// The connection a commit writer or delivery worker keeps for its statements (src/pg/internal/dedicated.ts). Its
// scope must close before the client's (the pool waits for every reserved connection when it ends).
describe("dedicated connection", () => {
  it.scoped("keeps one session for its statements and gives it back to the pool when its scope closes", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const pids = yield* Effect.scoped(
        Effect.gen(function* () {
          const connection = yield* Dedicated.make(sql)
          // Session state survives between statements: the same backend runs them.
          yield* connection.execute("SELECT set_config('mailroom.test', 'kept', false)", [])
          const setting = yield* connection.execute<{ value: string }>(
            "SELECT current_setting('mailroom.test') AS value",
            []
          )
          assert.strictEqual(setting[0]?.value, "kept")
          return [yield* pidOf(connection), yield* pidOf(connection)]
        })
      )
      assert.strictEqual(pids[0], pids[1])
      // Back in the pool (of one connection): the pool's next statement runs on that same session.
      const [after] = yield* sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`
      assert.strictEqual(after?.pid, pids[0])
    }).pipe(Effect.provide(layerFreshDatabase({ maxConnections: 1 })))
  )

  it.scoped("a session that dies costs one failed statement; the next one runs on a fresh connection", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const connection = yield* Dedicated.make(sql)
      const first = yield* pidOf(connection)
      yield* sql`SELECT pg_terminate_backend(${first})`

      const failed = yield* Effect.either(pidOf(connection))
      assert.isTrue(failed._tag === "Left", "the statement on the dead session fails")
      const second = yield* pidOf(connection)
      assert.notStrictEqual(second, first)
      assert.strictEqual(yield* pidOf(connection), second)
    }).pipe(Effect.scoped, Effect.provide(layerFreshDatabase()))
  )

  it.scoped("a statement the database refuses keeps the session: the next one runs on it", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const connection = yield* Dedicated.make(sql)
      const before = yield* pidOf(connection)
      const refused = yield* Effect.either(connection.execute("SELECT 1 / 0", []))
      assert.isTrue(refused._tag === "Left")
      assert.include(String((refused as { left: { cause: unknown } }).left.cause), "division by zero")
      assert.strictEqual(yield* pidOf(connection), before)
    }).pipe(Effect.scoped, Effect.provide(layerFreshDatabase()))
  )

  it.scoped("runs each statement text as one prepared statement of its session", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const connection = yield* Dedicated.make(sql)
      const twice = "SELECT $1::int + 1 AS n"
      assert.deepStrictEqual(yield* connection.execute(twice, [1]), [{ n: 2 }])
      assert.deepStrictEqual(yield* connection.execute(twice, [41]), [{ n: 42 }])
      const statements = yield* connection.execute<{ statement: string }>(
        "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'mailroom_%' ORDER BY statement",
        []
      )
      assert.deepStrictEqual(
        statements.map((row) => row.statement),
        [
          "SELECT $1::int + 1 AS n",
          "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'mailroom_%' ORDER BY statement"
        ]
      )
    }).pipe(Effect.scoped, Effect.provide(layerFreshDatabase()))
  )

  it.scoped(
    "a statement interrupted while its connection is being reserved still gives the connection back",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* Effect.scoped(
          Effect.gen(function* () {
            const connection = yield* Dedicated.make(sql)
            const statement = yield* Effect.fork(connection.execute("SELECT 1", []))
            yield* Effect.yieldNow() // the reservation is under way: the pool has not answered yet
            yield* Fiber.interrupt(statement)
          })
        )
        // The pool has one connection: had the reservation been lost, this would wait forever.
        assert.deepStrictEqual(yield* sql<{ n: number }>`SELECT 1 AS n`, [{ n: 1 }])
      }).pipe(Effect.provide(layerFreshDatabase({ maxConnections: 1 })))
  )
})
