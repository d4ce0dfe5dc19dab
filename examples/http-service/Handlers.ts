/**
 * The API's handlers: each one validates against current state where HTTP can answer at once (404 for an
 * unknown game, 409 for a game that exists otherwise), then hands the command to its host. Domain rules stay in the
 * hosts: a move that breaks one is still accepted here and rejected there, as an event (see `produced` in
 * `GET /messages/:id`).
 */
import { createHash } from "node:crypto"
import { HttpApiBuilder, HttpApiError } from "@effect/platform"
import { Effect, ParseResult, Schema } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as Application from "../../src/commit/Application.js"
import type * as Host from "../../src/commit/Host.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as Relay from "../../src/commit/Relay.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import {
  Api,
  Balances,
  GameExists,
  GameNotFound,
  IdempotencyKeyReused,
  InternalError,
  MessageNotFound,
  MessageView,
  Positions,
  Unavailable
} from "./Api.js"

/** Handlers of `/games/...`. */
export const layerGames = HttpApiBuilder.group(Api, "games", (handlers) =>
  Effect.gen(function* () {
    const rondel = yield* RondelClient.RondelClient
    const accounting = yield* AccountingClient.AccountingClient
    const app = yield* Application.Application
    const accountingHost = app.frontDoor(AccountingHost.definition)
    const ids = yield* MessageIds.MessageIds

    const knownGame = (gameId: GameId.GameId) =>
      Effect.flatMap(available(rondel.overview(gameId)), (overview) =>
        overview === undefined ? Effect.fail(new GameNotFound({ gameId })) : Effect.void
      )

    // Creating a game is two commands to two contexts, no shared transaction: a retry with the same gameId (or the
    // same Idempotency-Key) completes a game the first attempt left half-created, and changes nothing otherwise.
    const refuseOtherGame = (gameId: GameId.GameId, nations: Nation.NationList, startingBalance: number) =>
      Effect.gen(function* () {
        const overview = yield* available(rondel.overview(gameId))
        const books = yield* available(accountingHost.state(gameId))
        const exists = (reason: string) => Effect.fail(new GameExists({ gameId, reason }))
        if (overview !== undefined && !sameNations(overview.nations, nations))
          return yield* exists(`game ${gameId} exists with nations ${overview.nations.join(", ")}`)
        const accounts = books?.accounts
        if (accounts != null && !sameNations(accounts.nations, nations))
          return yield* exists(`game ${gameId} has accounts for ${accounts.nations.join(", ")}`)
        if (accounts != null && accounts.startingBalance !== startingBalance)
          return yield* exists(`game ${gameId} was opened with ${accounts.startingBalance}M each`)
      })

    return handlers
      .handle("createGame", ({ payload, headers }) =>
        Effect.gen(function* () {
          const key = headers["idempotency-key"]
          const gameId =
            payload.gameId ??
            (key === undefined
              ? (`game-${yield* ids.next}` as GameId.GameId)
              : (`game-${digest(key)}` as GameId.GameId))
          const { nations, startingBalance } = payload
          yield* refuseOtherGame(gameId, nations, startingBalance)
          const setUp = yield* sent(
            rondel.send({ _tag: "SetToStartingPositions", gameId, nations }, origin(key, "games.rondel")),
            key
          )
          const opened = yield* sent(
            accounting.send(
              { _tag: "OpenAccounts", gameId, nations, startingBalance },
              origin(key, "games.accounting")
            ),
            key
          )
          return { gameId, messages: [setUp, opened].map(({ messageId, type }) => ({ messageId, type })) }
        })
      )
      .handle("move", ({ path: { gameId }, payload, headers }) =>
        Effect.gen(function* () {
          yield* knownGame(gameId)
          const key = headers["idempotency-key"]
          const envelope = yield* sent(
            rondel.send({ _tag: "Move", gameId, ...payload }, origin(key, "move")),
            key
          )
          return accepted(gameId, envelope)
        })
      )
      .handle("deposit", ({ path: { gameId }, payload, headers }) =>
        Effect.gen(function* () {
          if ((yield* available(accounting.balances(gameId))) === undefined) {
            return yield* new GameNotFound({ gameId })
          }
          const key = headers["idempotency-key"]
          const envelope = yield* sent(
            accounting.send({ _tag: "Deposit", gameId, ...payload }, origin(key, "deposit")),
            key
          )
          return accepted(gameId, envelope)
        })
      )
      .handle("positions", ({ path: { gameId } }) =>
        Effect.gen(function* () {
          const positions = yield* available(rondel.positions(gameId))
          if (positions === undefined) return yield* new GameNotFound({ gameId })
          return yield* answerable(Positions, { gameId, positions }, `the positions of game ${gameId}`)
        })
      )
      .handle("balances", ({ path: { gameId } }) =>
        Effect.gen(function* () {
          const balances = yield* available(accounting.balances(gameId))
          if (balances === undefined) return yield* new GameNotFound({ gameId })
          return yield* answerable(Balances, { gameId, balances }, `the balances of game ${gameId}`)
        })
      )
  })
)

/** Handlers of `/messages/...`: delivery status from the relay, outcome from the handling host's audit log. */
export const layerMessages = HttpApiBuilder.group(Api, "messages", (handlers) =>
  Effect.gen(function* () {
    const relay = yield* Relay.Relay
    const app = yield* Application.Application
    return handlers.handle("status", ({ path: { messageId } }) =>
      Effect.gen(function* () {
        const deliveries = yield* available(relay.messageStatus(messageId))
        const first = deliveries[0]
        if (first === undefined) return yield* new MessageNotFound({ messageId })
        const produced = yield* Effect.forEach(deliveries, (delivery) => {
          const host = app.frontDoors.get(delivery.host)
          if (delivery.status !== "processed" || host === undefined) return Effect.succeed([])
          return Effect.map(available(host.audit(delivery.key)), (entries) =>
            entries
              .filter((entry) => entry.message.messageId === messageId)
              .flatMap((entry) => [...entry.events, ...entry.commands])
              .map(({ messageId, type, payload }) => ({ host: delivery.host, messageId, type, payload }))
          )
        })
        const status = deliveries.some((d) => d.status === "parked")
          ? "parked"
          : deliveries.every((d) => d.status === "processed")
            ? "processed"
            : "pending"
        const view = {
          messageId,
          type: first.type,
          key: first.key,
          status,
          deliveries: deliveries.map(({ host, status, attempts, lastError, receivedAt, processedAt }) => ({
            host,
            status,
            attempts,
            lastError,
            receivedAt,
            processedAt
          })),
          produced: produced.flat()
        } as const
        return yield* answerable(MessageView, view, `message ${messageId}`)
      })
    )
  })
)

// internal

const accepted = (gameId: GameId.GameId, envelope: Envelope) => ({
  gameId,
  messageId: envelope.messageId,
  type: envelope.type
})

/**
 * The message id of one command of a request with an `Idempotency-Key`: the same key gives the same id, so the inbox
 * takes a retry as the same message (applied once), and refuses another request under it (MessageIdReused → 409).
 */
const origin = (key: string | undefined, command: string): Host.Origin | undefined =>
  key === undefined ? undefined : { messageId: `http.${command}.${key}` }

/** A game id for a create request known only by its key (the key may hold characters a game id may not). */
const digest = (key: string) => createHash("sha256").update(key).digest("hex").slice(0, 24)

const sameNations = (a: ReadonlyArray<Nation.Nation>, b: ReadonlyArray<Nation.Nation>) =>
  a.length === b.length && a.every((nation) => b.includes(nation))

/**
 * A command handed to its host: an id reused by another request answers 409, an invalid message 400 (the schemas
 * above normally refuse it first), anything else from storage 503 (the boundary already retried a lost connection).
 */
const sent = (
  effect: Effect.Effect<Envelope, Host.SendError>,
  key: string | undefined
): Effect.Effect<Envelope, IdempotencyKeyReused | HttpApiError.HttpApiDecodeError | Unavailable> =>
  Effect.catchAll(
    effect,
    (error): Effect.Effect<never, IdempotencyKeyReused | HttpApiError.HttpApiDecodeError | Unavailable> => {
      switch (error._tag) {
        case "MessageIdReused":
          return Effect.fail(
            new IdempotencyKeyReused({
              key: key ?? "",
              reason: `Idempotency-Key ${JSON.stringify(key ?? "")} was used before for another request; use a new key for a new request`
            })
          )
        case "MessageRejected":
          return Effect.fail(
            new HttpApiError.HttpApiDecodeError({
              issues: [{ _tag: "Type", path: [], message: error.reason }],
              message: error.reason
            })
          )
        default:
          return Effect.fail(new Unavailable({ reason: describe(error) }))
      }
    }
  )

/** Infrastructure failures (storage, a message the boundary refused) become one typed 503; domain outcomes never do. */
const available = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, Unavailable> =>
  Effect.mapError(effect, (error) => new Unavailable({ reason: describe(error) }))

/**
 * Checks an answer against its schema before the framework encodes it: what the server stored but cannot answer
 * with (a balance past the largest number) is the server's failure, 500, not a 400 blaming the request.
 */
const answerable = <A, I>(
  schema: Schema.Schema<A, I>,
  value: A,
  what: string
): Effect.Effect<A, InternalError> =>
  Effect.as(
    Effect.mapError(
      Schema.encode(schema)(value),
      (error) =>
        new InternalError({
          reason: `${what} cannot be answered: ${ParseResult.ArrayFormatter.formatErrorSync(error)
            .map((issue) => `${issue.path.join(".") || "(answer)"}: ${issue.message}`)
            .join("; ")}`
        })
    ),
    value
  )

const describe = (error: unknown): string => {
  const fields = error as {
    readonly _tag?: unknown
    readonly message?: unknown
    readonly reason?: unknown
    readonly operation?: unknown
  }
  const detail = typeof fields.reason === "string" ? fields.reason : String(fields.message ?? error)
  const tag =
    typeof fields.operation === "string" ? `${String(fields._tag)} (${fields.operation})` : fields._tag
  return typeof fields._tag === "string" ? `${tag}: ${detail}` : detail
}
