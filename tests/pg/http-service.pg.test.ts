import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import * as Api from "../../examples/http-service/Api.js"
import * as Server from "../../examples/http-service/Server.js"
import * as Progress from "../../src/testing/internal/progress.js"
import { freshDatabase } from "./support.js"

// One server per test, on a free port, over a database of its own; called through a real HTTP client.
const layerService = Layer.unwrapScoped(
  Effect.map(freshDatabase(), ({ url }) =>
    Server.layer({ port: 0, host: "127.0.0.1", url, relay: { pollInterval: "50 millis" } })
  )
).pipe(Layer.merge(NodeHttpClient.layerUndici))

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

const post = (path: string, body: string) =>
  send(HttpClientRequest.post(path).pipe(HttpClientRequest.bodyText(body, "application/json")))
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
          payload: { nations: ["Germany", "France"], startingBalance: 10 }
        })
        const gameId = created.gameId
        assert.deepStrictEqual(
          created.messages.map((m) => m.type),
          ["SetToStartingPositions", "OpenAccounts"]
        )
        for (const message of created.messages) yield* processed(message.messageId)

        const first = yield* client.games.move({
          path: { gameId },
          payload: { nation: "Germany", space: "Investor" }
        })
        const firstDone = yield* processed(first.messageId)
        assert.deepStrictEqual(
          firstDone.produced.map((m) => m.type),
          ["ActionDetermined"]
        )

        // Investor -> Factory is 5 steps: 4 million, paid through Accounting before the move completes.
        const paid = yield* client.games.move({
          path: { gameId },
          payload: { nation: "Germany", space: "Factory" }
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
          payload: { nation: "France", amount: 5 }
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

  it.live("serves its OpenAPI document and a docs page", () =>
    Effect.gen(function* () {
      const openApi = yield* get("/openapi.json")
      assert.strictEqual(openApi.status, 200)
      assert.strictEqual(openApi.body.openapi, "3.1.0")
      const move = openApi.body.paths["/games/{gameId}/moves"].post
      assert.containsAllKeys(move.responses, ["202", "400", "404", "411", "413", "503"])
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
