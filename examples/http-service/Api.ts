/**
 * The HTTP API of the Imperial example, declared once: the server implements it (Handlers.ts), the OpenAPI
 * document and docs page are derived from it, and `HttpApiClient.make(Api)` gives a typed client.
 *
 * Commands are accepted, not executed: a `202` means the command is stored durably; its outcome arrives as
 * events, visible through `GET /messages/:messageId` and the game's positions and balances.
 */
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import * as Amount from "../../hosts/contracts/Amount.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import * as Nation from "../../hosts/contracts/Nation.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as Rondel from "../../hosts/rondel/Rondel.js"
import * as Ledger from "../../hosts/accounting/Ledger.js"

// Requests

/** Body of `POST /games`: the nations and each one's starting money; `gameId` is generated when omitted. */
export const CreateGame = Schema.Struct({
  gameId: Schema.optionalWith(GameId.GameId, { exact: true }),
  nations: Nation.NationList,
  startingBalance: Amount.Amount
}).annotations({ identifier: "CreateGame" })

/** Body of `POST /games/:gameId/moves`. */
export const MoveRequest = Schema.Struct({ nation: Nation.Nation, space: Space.Space }).annotations({
  identifier: "MoveRequest"
})

/** Body of `POST /games/:gameId/deposits`. */
export const DepositRequest = Schema.Struct({
  nation: Nation.Nation,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "DepositRequest" })

const GamePath = Schema.Struct({ gameId: GameId.GameId })

// Responses

/** A command stored for a host: follow it with `GET /messages/{messageId}`. */
export const Accepted = Schema.Struct({
  gameId: GameId.GameId,
  messageId: Schema.String,
  type: Schema.String
}).annotations({ identifier: "Accepted" })

/** `POST /games` accepted: one command for Rondel, one for Accounting. */
export const GameAccepted = Schema.Struct({
  gameId: GameId.GameId,
  messages: Schema.Array(Schema.Struct({ messageId: Schema.String, type: Schema.String }))
}).annotations({ identifier: "GameAccepted" })

export const Positions = Schema.Struct({ gameId: GameId.GameId, positions: Schema.Array(Rondel.Position) })
export const Balances = Schema.Struct({ gameId: GameId.GameId, balances: Schema.Array(Ledger.Balance) })

const Status = Schema.Literal("pending", "processed", "parked")

/** Where a message stands: per receiving host, and what each host produced when it processed it. */
export const MessageView = Schema.Struct({
  messageId: Schema.String,
  type: Schema.String,
  key: Schema.String,
  /** `parked` if any host parked it, `processed` once every receiving host processed it, else `pending`. */
  status: Status,
  deliveries: Schema.Array(
    Schema.Struct({
      host: Schema.String,
      status: Status,
      attempts: Schema.Number,
      lastError: Schema.NullOr(Schema.String),
      receivedAt: Schema.Number,
      processedAt: Schema.NullOr(Schema.Number)
    })
  ),
  /** Events and commands the handling produced (e.g. `ActionDetermined`, `MoveToActionSpaceRejected`). */
  produced: Schema.Array(
    Schema.Struct({
      host: Schema.String,
      messageId: Schema.String,
      type: Schema.String,
      payload: Schema.Unknown
    })
  )
}).annotations({ identifier: "MessageView" })

// Errors (the status code travels with the schema)

export class GameNotFound extends Schema.TaggedError<GameNotFound>()(
  "GameNotFound",
  { gameId: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

export class MessageNotFound extends Schema.TaggedError<MessageNotFound>()(
  "MessageNotFound",
  { messageId: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** The request body is larger than the server accepts. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { maxBytes: Schema.Number },
  HttpApiSchema.annotations({ status: 413 })
) {}

/** A request body must declare its length (`Content-Length`); chunked bodies are refused. */
export class LengthRequired extends Schema.TaggedError<LengthRequired>()(
  "LengthRequired",
  { maxBytes: Schema.Number },
  HttpApiSchema.annotations({ status: 411 })
) {}

/** Storage or the runtime refused the request (database down, shutting down); retrying later may work. */
export class Unavailable extends Schema.TaggedError<Unavailable>()(
  "Unavailable",
  { reason: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}

// Endpoints

export class GamesGroup extends HttpApiGroup.make("games")
  .add(
    HttpApiEndpoint.post("createGame", "/games")
      .setPayload(CreateGame)
      .addSuccess(GameAccepted, { status: 202 })
  )
  .add(
    HttpApiEndpoint.post("move", "/games/:gameId/moves")
      .setPath(GamePath)
      .setPayload(MoveRequest)
      .addSuccess(Accepted, { status: 202 })
      .addError(GameNotFound)
  )
  .add(
    HttpApiEndpoint.post("deposit", "/games/:gameId/deposits")
      .setPath(GamePath)
      .setPayload(DepositRequest)
      .addSuccess(Accepted, { status: 202 })
      .addError(GameNotFound)
  )
  .add(
    HttpApiEndpoint.get("positions", "/games/:gameId/positions")
      .setPath(GamePath)
      .addSuccess(Positions)
      .addError(GameNotFound)
  )
  .add(
    HttpApiEndpoint.get("balances", "/games/:gameId/balances")
      .setPath(GamePath)
      .addSuccess(Balances)
      .addError(GameNotFound)
  ) {}

export class MessagesGroup extends HttpApiGroup.make("messages").add(
  HttpApiEndpoint.get("status", "/messages/:messageId")
    .setPath(Schema.Struct({ messageId: Schema.String }))
    .addSuccess(MessageView)
    .addError(MessageNotFound)
) {}

/** The whole API; malformed or invalid requests answer `400 HttpApiDecodeError` naming the field. */
export class Api extends HttpApi.make("imperial")
  .add(GamesGroup)
  .add(MessagesGroup)
  .addError(PayloadTooLarge)
  .addError(LengthRequired)
  .addError(Unavailable)
  .annotate(OpenApi.Title, "Imperial rondel on Mailroom")
  .annotate(
    OpenApi.Description,
    "Commands answer 202 once stored durably; follow GET /messages/{messageId} for their outcome."
  ) {}
