/**
 * The API's handlers: each one validates against current state where HTTP can answer at once (404 for an
 * unknown game), then hands the command to its host. Domain rules stay in the hosts: a move that breaks
 * one is still accepted here and rejected there, as an event (see `produced` in `GET /messages/:id`).
 */
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as Application from "../../src/commit/Application.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as Relay from "../../src/commit/Relay.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import { Api, GameNotFound, MessageNotFound, Unavailable } from "./Api.js"

/** Handlers of `/games/...`. */
export const layerGames = HttpApiBuilder.group(Api, "games", (handlers) =>
  Effect.gen(function* () {
    const rondel = yield* RondelHost.RondelHost
    const accounting = yield* AccountingHost.AccountingHost
    const ids = yield* MessageIds.MessageIds

    const knownGame = (gameId: GameId.GameId) =>
      Effect.flatMap(available(rondel.overview(gameId)), (overview) =>
        overview === undefined ? Effect.fail(new GameNotFound({ gameId })) : Effect.void
      )

    return handlers
      .handle("createGame", ({ payload }) =>
        Effect.gen(function* () {
          // Two commands, two contexts, no shared transaction: a retry with the same gameId is safe
          // because both commands change nothing the second time.
          const gameId = payload.gameId ?? (`game-${yield* ids.next}` as GameId.GameId)
          const { nations, startingBalance } = payload
          const setUp = yield* available(rondel.execute({ _tag: "SetToStartingPositions", gameId, nations }))
          const opened = yield* available(
            accounting.execute({ _tag: "OpenAccounts", gameId, nations, startingBalance })
          )
          return { gameId, messages: [setUp, opened].map(({ messageId, type }) => ({ messageId, type })) }
        })
      )
      .handle("move", ({ path: { gameId }, payload }) =>
        Effect.gen(function* () {
          yield* knownGame(gameId)
          return accepted(gameId, yield* available(rondel.execute({ _tag: "Move", gameId, ...payload })))
        })
      )
      .handle("deposit", ({ path: { gameId }, payload }) =>
        Effect.gen(function* () {
          if ((yield* available(accounting.balances(gameId))) === undefined) {
            return yield* new GameNotFound({ gameId })
          }
          return accepted(
            gameId,
            yield* available(accounting.execute({ _tag: "Deposit", gameId, ...payload }))
          )
        })
      )
      .handle("positions", ({ path: { gameId } }) =>
        Effect.flatMap(available(rondel.positions(gameId)), (positions) =>
          positions === undefined
            ? Effect.fail(new GameNotFound({ gameId }))
            : Effect.succeed({ gameId, positions })
        )
      )
      .handle("balances", ({ path: { gameId } }) =>
        Effect.flatMap(available(accounting.balances(gameId)), (balances) =>
          balances === undefined
            ? Effect.fail(new GameNotFound({ gameId }))
            : Effect.succeed({ gameId, balances })
        )
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
          const host = app.hosts.get(delivery.host)
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
        return {
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

/** Infrastructure failures (storage, a refused submit) become one typed 503; domain outcomes never do. */
const available = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, Unavailable> =>
  Effect.mapError(effect, (error) => new Unavailable({ reason: describe(error) }))

const describe = (error: unknown): string => {
  const fields = error as { readonly _tag?: unknown; readonly message?: unknown; readonly reason?: unknown }
  const detail = typeof fields.reason === "string" ? fields.reason : String(fields.message ?? error)
  return typeof fields._tag === "string" ? `${fields._tag}: ${detail}` : detail
}
