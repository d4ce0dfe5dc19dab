import * as net from "node:net"
import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Fiber, Layer, Logger, Queue, Scope, Stream, TestClock } from "effect"
import * as Api from "../../examples/http-service/Api.js"
import * as Server from "../../examples/http-service/Server.js"
import type { Waiting as PgBoundaryWaiting } from "../../src/pg/PgBoundary.js"
import * as Progress from "../../src/testing/internal/progress.js"
import { paymentDeadline, sqlClient } from "./imperialPg.js"
import { freePort, freshDatabase, proxy, throughPort } from "./support.js"

// One server per test, on a free port, over a database of its own; called through a real HTTP client.
const layerService = Layer.unwrapScoped(
  Effect.map(freshDatabase(), ({ url }) =>
    Server.layer({ port: 0, host: "127.0.0.1", url, relay: { pollInterval: "50 millis" }, paymentDeadline })
  )
).pipe(Layer.merge(NodeHttpClient.layerUndici))

/** Whether something accepts TCP connections on the port. */
const listening = (port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.once("error", () => {
      socket.destroy()
      resume(Effect.succeed(false))
    })
  })

/** The service, plus a SQL client on its database for the test's own statements (triggers, resets, legacy rows). */
const layerServiceWithSql = Layer.unwrapScoped(
  Effect.map(freshDatabase(), ({ url }) =>
    Layer.merge(
      Server.layer({ port: 0, host: "127.0.0.1", url, relay: { pollInterval: "50 millis" } }),
      Layer.scopedContext(Effect.map(sqlClient(url), (sql) => Context.make(SqlClient.SqlClient, sql)))
    )
  )
).pipe(Layer.merge(NodeHttpClient.layerUndici))

/**
 * The default logger without the relay's warnings about connections a test terminated on purpose (each loop's next
 * statement fails once, with the whole stack); every other line is printed as usual.
 */
const withoutTerminatedConnections = Logger.replace(
  Logger.defaultLogger,
  Logger.make((options) => {
    const cause = Cause.pretty(options.cause, { renderErrorCause: true })
    const terminated =
      String(options.message).includes("round failed") &&
      /terminating connection due to administrator command|Connection terminated|connection error/.test(cause)
    if (!terminated) Logger.defaultLogger.log(options)
  })
)

interface Reply {
  readonly status: number
  readonly body: any
}

/** Sends a request to the running service and reads its status and JSON body (never fails on a status). */
const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function* () {
    const baseUrl = yield* Server.address
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(HttpClientRequest.prependUrl(request, baseUrl))
    const text = yield* response.text
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) } as Reply
  })

const post = (path: string, body: string, idempotencyKey?: string) =>
  send(
    HttpClientRequest.post(path).pipe(
      HttpClientRequest.bodyText(body, "application/json"),
      idempotencyKey === undefined
        ? (request) => request
        : HttpClientRequest.setHeader("Idempotency-Key", idempotencyKey)
    )
  )
const get = (path: string) => send(HttpClientRequest.get(path))

/**
 * Polls `GET /messages/:id` until every receiving host processed the message; returns the last view. It fails when
 * the service's hosts did nothing for a minute, not after a fixed time (a loaded machine is slower, not broken).
 */
const processed = (messageId: string) =>
  Effect.gen(function* () {
    let last: Reply | undefined
    const look = Effect.gen(function* () {
      last = yield* get(`/messages/${messageId}`)
      return {
        done: last.status === 200 && last.body.status === "processed",
        progress: yield* Progress.attempts
      }
    })
    yield* Progress.until(`message ${messageId} processed`, look).pipe(
      Effect.catchTag("Stalled", (stalled) =>
        Effect.dieMessage(`${stalled.message}; last view: ${JSON.stringify(last)}`)
      )
    )
    return last!.body as typeof Api.MessageView.Type
  })

const createGame = (gameId: string) =>
  Effect.gen(function* () {
    const created = yield* post(
      "/games",
      JSON.stringify({ gameId, nations: ["Germany", "France"], startingBalance: 10 })
    )
    assert.strictEqual(created.status, 202)
    for (const message of created.body.messages) yield* processed(message.messageId)
  })

const assertNamesField = (reply: Reply, field: string) => {
  assert.strictEqual(reply.status, 400, JSON.stringify(reply.body))
  assert.strictEqual(reply.body._tag, "HttpApiDecodeError")
  assert.deepStrictEqual(reply.body.issues[0].path, [field])
  assert.include(reply.body.message, field)
}

describe("examples/http-service over Postgres", () => {
  it.live("validates bodies: malformed JSON, missing and unknown fields answer 400 naming the problem", () =>
    Effect.gen(function* () {
      yield* createGame("http-400")

      const malformed = yield* post("/games/http-400/moves", `{"nation": "Germany",`)
      assert.strictEqual(malformed.status, 400)
      assert.strictEqual(malformed.body._tag, "HttpApiDecodeError")
      assert.include(malformed.body.message, "not valid JSON")

      assertNamesField(yield* post("/games/http-400/moves", `{"nation": "Germany"}`), "space")
      assertNamesField(yield* post("/games/http-400/moves", `{"space": "Investor"}`), "nation")
      const spain = yield* post("/games/http-400/moves", `{"nation": "Spain", "space": "Investor"}`)
      assertNamesField(spain, "nation")
      assert.include(spain.body.issues[0].message, "Spain")
      assertNamesField(
        yield* post("/games/http-400/moves", `{"nation": "Germany", "space": "Moon"}`),
        "space"
      )
      assertNamesField(
        yield* post("/games/http-400/deposits", `{"nation": "France", "amount": -3}`),
        "amount"
      )
      assertNamesField(
        yield* post("/games", `{"nations": ["Germany"], "startingBalance": 1.5}`),
        "startingBalance"
      )
      assertNamesField(
        yield* post("/games/bad%20id/moves", `{"nation": "Germany", "space": "Investor"}`),
        "gameId"
      )

      // Nothing invalid reached the host: the game is untouched.
      const positions = yield* get("/games/http-400/positions")
      assert.deepStrictEqual(
        positions.body.positions.map((p: { current: unknown }) => p.current),
        [null, null]
      )
    }).pipe(Effect.scoped, Effect.provide(layerService))
  )

  it.live("unknown games and messages answer 404", () =>
    Effect.gen(function* () {
      const move = yield* post("/games/no-such-game/moves", `{"nation": "Germany", "space": "Investor"}`)
      assert.strictEqual(move.status, 404)
      assert.deepStrictEqual(move.body, { _tag: "GameNotFound", gameId: "no-such-game" })
      assert.strictEqual(
        (yield* post("/games/no-such-game/deposits", `{"nation": "Italy", "amount": 2}`)).status,
        404
      )
      assert.strictEqual((yield* get("/games/no-such-game/positions")).status, 404)
      assert.strictEqual((yield* get("/games/no-such-game/balances")).status, 404)
      const message = yield* get("/messages/no-such-message")
      assert.strictEqual(message.status, 404)
      assert.strictEqual(message.body._tag, "MessageNotFound")
    }).pipe(Effect.scoped, Effect.provide(layerService))
  )

  it.live("an oversized body answers 413 and a chunked one 411; the server keeps serving", () =>
    Effect.gen(function* () {
      yield* createGame("http-413")
      const padding = "x".repeat(17 * 1024)
      const oversized = yield* post(
        "/games/http-413/moves",
        JSON.stringify({ nation: "Germany", space: "Investor", padding })
      )
      assert.strictEqual(oversized.status, 413)
      assert.deepStrictEqual(oversized.body, { _tag: "PayloadTooLarge", maxBytes: 16 * 1024 })

      const chunked = yield* send(
        HttpClientRequest.post("/games/http-413/moves").pipe(
          HttpClientRequest.bodyStream(
            Stream.make(new TextEncoder().encode(`{"nation":"Germany","space":"Investor"}`)),
            {
              contentType: "application/json"
            }
          )
        )
      )
      assert.strictEqual(chunked.status, 411)

      const ok = yield* post("/games/http-413/moves", `{"nation": "Germany", "space": "Investor"}`)
      assert.strictEqual(ok.status, 202)
    }).pipe(Effect.scoped, Effect.provide(layerService))
  )

  it.live(
    "a paid move: create, move, follow the messages across hosts, then read positions and balances",
    () =>
      Effect.gen(function* () {
        // The typed client derived from the same Api definition: its decoding checks every response shape.
        const client = yield* HttpApiClient.make(Api.Api, { baseUrl: yield* Server.address })
        const created = yield* client.games.createGame({
          payload: { nations: ["Germany", "France"], startingBalance: 10 },
          headers: {}
        })
        const gameId = created.gameId
        assert.deepStrictEqual(
          created.messages.map((m) => m.type),
          ["SetToStartingPositions", "OpenAccounts"]
        )
        for (const message of created.messages) yield* processed(message.messageId)

        const first = yield* client.games.move({
          path: { gameId },
          payload: { nation: "Germany", space: "Investor" },
          headers: { "idempotency-key": `${gameId}-first-move` }
        })
        const firstDone = yield* processed(first.messageId)
        assert.deepStrictEqual(
          firstDone.produced.map((m) => m.type),
          ["ActionDetermined"]
        )

        // Investor -> Factory is 5 steps: 4 million, paid through Accounting before the move completes.
        const paid = yield* client.games.move({
          path: { gameId },
          payload: { nation: "Germany", space: "Factory" },
          headers: {}
        })
        assert.strictEqual(paid.type, "Move")
        const awaiting = yield* processed(paid.messageId)
        assert.deepStrictEqual(
          awaiting.produced.map((m) => m.type),
          ["MovementAwaitingPayment", "ChargeMovement"]
        )
        const charge = yield* processed(awaiting.produced.find((m) => m.type === "ChargeMovement")!.messageId)
        assert.strictEqual(charge.deliveries[0]?.host, "accounting")
        const invoice = charge.produced.find((m) => m.type === "RondelInvoicePaid")
        assert.isDefined(invoice)
        const moved = yield* processed(invoice!.messageId)
        assert.deepStrictEqual(
          moved.produced.map((m) => m.type),
          ["ActionDetermined"]
        )

        const deposit = yield* client.games.deposit({
          path: { gameId },
          payload: { nation: "France", amount: 5 },
          headers: {}
        })
        yield* processed(deposit.messageId)

        const { positions } = yield* client.games.positions({ path: { gameId } })
        assert.deepStrictEqual(positions[0], { nation: "Germany", current: "Factory", pending: null })
        const { balances } = yield* client.games.balances({ path: { gameId } })
        assert.deepStrictEqual(balances, [
          { account: "Germany", amount: 6 },
          { account: "France", amount: 15 },
          { account: "Bank", amount: -21 }
        ])
      }).pipe(Effect.scoped, Effect.provide(layerService))
  )

  it.live(
    "text no boundary can store (NUL, lone surrogates) and unknown fields answer 400 naming the field",
    () =>
      Effect.gen(function* () {
        yield* createGame("http-text")
        const nul = yield* post(
          "/games/http-text/moves",
          `{"nation": "Germany", "space": "Investor", "note": "\\u0000"}`
        )
        assertNamesField(nul, "note")
        assert.include(nul.body.message, "NUL character")
        const surrogate = yield* post(
          "/games",
          `{"nations": ["Germany"], "startingBalance": 1, "x": "\\ud800"}`
        )
        assertNamesField(surrogate, "x")
        assert.include(surrogate.body.message, "lone surrogate (U+D800)")
        assertNamesField(
          yield* post("/games/http-text/deposits", `{"nation": "France", "amount": 1, "extra": true}`),
          "extra"
        )
        const message = yield* get("/messages/%00")
        assert.strictEqual(message.status, 400, JSON.stringify(message.body))
        assert.strictEqual(message.body._tag, "HttpApiDecodeError")
        assert.include(message.body.message, "NUL character")
        assert.strictEqual((yield* get("/messages/%ED%A0%80")).status, 404)
        // Nothing reached the hosts.
        const positions = yield* get("/games/http-text/positions")
        assert.deepStrictEqual(
          positions.body.positions.map((p: { current: unknown }) => p.current),
          [null, null]
        )
      }).pipe(Effect.scoped, Effect.provide(layerService))
  )

  it.live(
    "Idempotency-Key: a retry is the same command, applied once; the key with another request answers 409",
    () =>
      Effect.gen(function* () {
        yield* createGame("http-key")
        const body = `{"nation": "Germany", "space": "Investor"}`
        const first = yield* post("/games/http-key/moves", body, "move-key-1")
        assert.strictEqual(first.status, 202)
        yield* processed(first.body.messageId)
        // The answer was lost, say: the client sends the same request with the same key.
        const retry = yield* post("/games/http-key/moves", body, "move-key-1")
        assert.strictEqual(retry.status, 202)
        assert.strictEqual(retry.body.messageId, first.body.messageId)
        const view = yield* processed(first.body.messageId)
        assert.strictEqual(view.deliveries.length, 1)
        assert.deepStrictEqual(
          view.produced.map((m) => m.type),
          ["ActionDetermined"]
        )
        const other = yield* post(
          "/games/http-key/moves",
          `{"nation": "France", "space": "Import"}`,
          "move-key-1"
        )
        assert.strictEqual(other.status, 409, JSON.stringify(other.body))
        assert.strictEqual(other.body._tag, "IdempotencyKeyReused")
        assert.include(other.body.reason, "move-key-1")
        const positions = (yield* get("/games/http-key/positions")).body.positions
        assert.deepStrictEqual(
          positions.map((p: { current: unknown }) => p.current),
          ["Investor", null]
        )
        assertNamesField(yield* post("/games/http-key/moves", body, "has space"), "idempotency-key")

        // A game created by key alone: the same key gives the same game and the same messages.
        const game = `{"nations": ["Italy"], "startingBalance": 3}`
        const created = yield* post("/games", game, "game-key-1")
        const again = yield* post("/games", game, "game-key-1")
        assert.strictEqual(created.status, 202)
        assert.deepStrictEqual(again.body, created.body)
        assert.match(created.body.gameId, /^game-[0-9a-f]{24}$/)
        const changed = yield* post("/games", `{"nations": ["Russia"], "startingBalance": 3}`, "game-key-1")
        assert.strictEqual(changed.status, 409)
      }).pipe(Effect.scoped, Effect.provide(layerService))
  )

  it.live(
    "POST /games after a 503 completes the same game; other nations for an existing game answer 409",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // Accounting's inbox refuses OpenAccounts for a while: the first attempt stores only Rondel's half.
        yield* sql.unsafe(`CREATE FUNCTION accounting.refuse_open() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.type = 'OpenAccounts' THEN RAISE EXCEPTION 'accounting is down (test)'; END IF; RETURN NEW; END $$`)
        yield* sql.unsafe(`CREATE TRIGGER refuse_open BEFORE INSERT ON accounting.inbox
        FOR EACH ROW EXECUTE FUNCTION accounting.refuse_open()`)
        const body = `{"gameId": "http-half", "nations": ["Germany", "Italy"], "startingBalance": 7}`
        const failed = yield* post("/games", body)
        assert.strictEqual(failed.status, 503, JSON.stringify(failed.body))
        assert.strictEqual(failed.body._tag, "Unavailable")
        yield* sql.unsafe(`DROP TRIGGER refuse_open ON accounting.inbox`)

        const retried = yield* post("/games", body)
        assert.strictEqual(retried.status, 202, JSON.stringify(retried.body))
        assert.strictEqual(retried.body.gameId, "http-half")
        for (const message of retried.body.messages) yield* processed(message.messageId)
        const balances = yield* get("/games/http-half/balances")
        assert.strictEqual(balances.status, 200)
        assert.deepStrictEqual(balances.body.balances[0], { account: "Germany", amount: 7 })

        const other = yield* post(
          "/games",
          `{"gameId": "http-half", "nations": ["France"], "startingBalance": 7}`
        )
        assert.strictEqual(other.status, 409)
        assert.strictEqual(other.body._tag, "GameExists")
        assert.include(other.body.reason, "Germany, Italy")
        const richer = yield* post(
          "/games",
          `{"gameId": "http-half", "nations": ["Italy", "Germany"], "startingBalance": 8}`
        )
        assert.strictEqual(richer.status, 409)
        assert.strictEqual((yield* post("/games", body)).status, 202)
      }).pipe(Effect.scoped, Effect.provide(layerServiceWithSql))
  )

  it.live(
    "after the database dropped every connection, the next POSTs are accepted (a lost front-door write is sent again)",
    () =>
      Effect.gen(function* () {
        yield* createGame("http-reset")
        const sql = yield* SqlClient.SqlClient
        for (const [round, space] of [
          [1, "Investor"],
          [2, "Import"]
        ] as const) {
          // Every connection of the service (its pool is named "mailroom"; this test's own client is not).
          const ended = yield* sql<{ pid: number }>`WITH service AS MATERIALIZED (
                     SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mailroom'
                   ) SELECT pid, pg_terminate_backend(pid) FROM service`
          assert.isAbove(ended.length, 0)
          // pg_terminate_backend only signals: the connections are dropped once those backends have exited.
          // Progress is the number of backends gone: the wait fails only when none exits for a minute.
          yield* Progress.until(
            "the terminated backends have exited",
            Effect.map(
              sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
                                 WHERE pid = ANY(${ended.map((row) => row.pid)})`,
              (rows) => ({ done: rows[0]?.n === 0, progress: ended.length - (rows[0]?.n ?? 0) })
            )
          ).pipe(Effect.orDie)
          const replies = yield* Effect.all(
            [
              post(
                "/games/http-reset/moves",
                `{"nation": "Germany", "space": "${space}"}`,
                `reset-${round}-g`
              ),
              post("/games/http-reset/deposits", `{"nation": "France", "amount": 1}`, `reset-${round}-f`)
            ],
            { concurrency: "unbounded" }
          )
          assert.deepStrictEqual(
            replies.map((reply) => reply.status),
            [202, 202],
            JSON.stringify(replies.map((reply) => reply.body))
          )
        }
      }).pipe(
        Effect.scoped,
        Effect.provide(layerServiceWithSql),
        Effect.provide(withoutTerminatedConnections)
      )
  )

  it.live(
    "a game whose stored books cannot be read (past the money limit, by hand) is not blamed on the request",
    () =>
      Effect.gen(function* () {
        yield* createGame("http-overflow")
        // Books in the first release's shape (no schemaVersion) written by hand: every entry is a valid amount, but
        // France's sum is past the money limit. The domain never gets there, and today's state cannot hold it: the
        // upcast refuses it, so the books do not load. The server must still not blame the request (no 4xx).
        const sql = yield* SqlClient.SqlClient
        const ledger = Array.from({ length: 10 }, (_, i) => ({
          entryId: i + 1,
          kind: "Deposit",
          from: "Bank",
          to: "France",
          amount: 1e15,
          messageId: `legacy-${i}`,
          at: 0
        }))
        const v1 = {
          gameId: "http-overflow",
          accounts: { nations: ["France"], startingBalance: 0 },
          ledger,
          charges: [],
          voids: [],
          deposits: []
        }
        yield* sql`UPDATE accounting.state SET state = ${JSON.stringify(v1)}::jsonb WHERE key = 'http-overflow'`
        const balances = yield* get("/games/http-overflow/balances")
        assert.isAtLeast(balances.status, 500, JSON.stringify(balances.body))
        assert.include(
          JSON.stringify(balances.body),
          "stored state of accounting/http-overflow does not decode"
        )
        assert.strictEqual((yield* get("/games/http-overflow/positions")).status, 200)
      }).pipe(Effect.scoped, Effect.provide(layerServiceWithSql))
  )

  it.scoped(
    "listens only once the application is up; while PostgreSQL does not answer it can be stopped at once",
    () =>
      Effect.gen(function* () {
        const { url } = yield* freshDatabase()
        const databasePort = yield* freePort
        const port = yield* freePort
        const waits = yield* Queue.unbounded<PgBoundaryWaiting>()
        const layer = Server.layer({
          port,
          host: "127.0.0.1",
          url: throughPort(url, databasePort),
          connectRetry: { initialDelay: "100 millis", onWait: (wait) => Queue.offer(waits, wait) }
        })

        // Stopped (SIGTERM) while it waits for the database: at once, and it never listened.
        const first = yield* Scope.make()
        const stopped = yield* Effect.fork(Layer.buildWithScope(layer, first))
        assert.strictEqual((yield* Queue.take(waits)).attempt, 1)
        assert.isFalse(yield* listening(port))
        assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(stopped)))
        yield* Scope.close(first, Exit.void)

        // Started again: the database answers after the first wait, then it listens and answers.
        const second = yield* Scope.make()
        yield* Effect.addFinalizer(() => Scope.close(second, Exit.void))
        const starting = yield* Effect.fork(Layer.buildWithScope(layer, second))
        const wait = yield* Queue.take(waits)
        assert.isFalse(yield* listening(port))
        yield* proxy(databasePort, new URL(url))
        yield* TestClock.adjust(wait.nextIn)
        yield* Fiber.join(starting)
        assert.isTrue(yield* listening(port))
        const openApi = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/openapi.json`))
        assert.strictEqual(openApi.status, 200)
      })
  )

  it.live("serves its OpenAPI document and a docs page", () =>
    Effect.gen(function* () {
      const openApi = yield* get("/openapi.json")
      assert.strictEqual(openApi.status, 200)
      assert.strictEqual(openApi.body.openapi, "3.1.0")
      const move = openApi.body.paths["/games/{gameId}/moves"].post
      assert.containsAllKeys(move.responses, ["202", "400", "404", "409", "411", "413", "500", "503"])
      assert.containsAllKeys(openApi.body.paths["/games"].post.responses, ["202", "400", "409", "500", "503"])
      assert.include(
        move.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
        "header:idempotency-key"
      )
      assert.containsAllKeys(openApi.body.paths, [
        "/games",
        "/games/{gameId}/deposits",
        "/games/{gameId}/positions",
        "/games/{gameId}/balances",
        "/messages/{messageId}"
      ])
      const baseUrl = yield* Server.address
      const client = yield* HttpClient.HttpClient
      const docs = yield* client.get(`${baseUrl}/docs`)
      assert.strictEqual(docs.status, 200)
      assert.include(yield* docs.text, "openapi")
    }).pipe(Effect.scoped, Effect.provide(layerService))
  )
})
