/**
 * The HTTP API of the Imperial example, declared once: the server implements it (Handlers.ts), the OpenAPI
 * document and docs page are derived from it, and `HttpApiClient.make(Api)` gives a typed client.
 *
 * Commands are accepted, not executed: a `202` means the command is stored durably; its outcome arrives as
 * events, visible through `GET /messages/:messageId` and the game's positions and balances. Every POST takes an
 * `Idempotency-Key` header: the command's message ids derive from it, so a retry (after a 503 or a lost answer) is
 * applied once, and the same key with another request answers 409.
 */
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import * as ConsoleApi from "../../src/console/ConsoleApi.js"
import { Schema } from "effect"
import * as Amount from "../../hosts/contracts/Amount.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import * as Nation from "../../hosts/contracts/Nation.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as Rondel from "../../hosts/rondel/Rondel.js"
import * as Ledger from "../../hosts/accounting/Ledger.js"
import * as StorableText from "../../src/commit/StorableText.js"

// Requests

// Bodies refuse fields they do not know (400 naming the field), so nothing unexpected is taken silently.
const strict = { parseOptions: { onExcessProperty: "error" } } as const

/**
 * Body of `POST /games`: the nations and each one's starting money. `gameId` is derived from the `Idempotency-Key`
 * when omitted (else generated): give one of them, so a retry after a 503 completes the same game.
 */
export const CreateGame = Schema.Struct({
  gameId: Schema.optionalWith(GameId.GameId, { exact: true }),
  nations: Nation.NationList,
  startingBalance: Amount.Amount
}).annotations({ identifier: "CreateGame", ...strict })

/** Body of `POST /games/:gameId/moves`. */
export const MoveRequest = Schema.Struct({ nation: Nation.Nation, space: Space.Space }).annotations({
  identifier: "MoveRequest",
  ...strict
})

/** Body of `POST /games/:gameId/deposits`. */
export const DepositRequest = Schema.Struct({
  nation: Nation.Nation,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "DepositRequest", ...strict })

const GamePath = Schema.Struct({ gameId: GameId.GameId })

/** A client's name for one request: 1–100 visible ASCII characters. The same key again is the same request. */
export const IdempotencyKey = Schema.String.pipe(
  Schema.pattern(/^[\x21-\x7e]{1,100}$/, {
    message: () => "must be 1–100 visible ASCII characters (no spaces)"
  }),
  Schema.annotations({ identifier: "IdempotencyKey" })
)

/** Headers every POST takes. */
export const CommandHeaders = Schema.Struct({
  "idempotency-key": Schema.optionalWith(IdempotencyKey, { exact: true })
})

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

/** The game exists with other nations or another starting balance: creating it again would change nothing. */
export class GameExists extends Schema.TaggedError<GameExists>()(
  "GameExists",
  { gameId: Schema.String, reason: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** The `Idempotency-Key` was used before for another request: a key names one request. */
export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()(
  "IdempotencyKeyReused",
  { key: Schema.String, reason: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** The server failed on its own (stored data it cannot answer with): not the request's fault; retrying will not help. */
export class InternalError extends Schema.TaggedError<InternalError>()(
  "InternalError",
  { reason: Schema.String },
  HttpApiSchema.annotations({ status: 500 })
) {}

// Endpoints

export class GamesGroup extends HttpApiGroup.make("games")
  .add(
    HttpApiEndpoint.post("createGame", "/games")
      .setPayload(CreateGame)
      .setHeaders(CommandHeaders)
      .addSuccess(GameAccepted, { status: 202 })
      .addError(GameExists)
      .addError(IdempotencyKeyReused)
  )
  .add(
    HttpApiEndpoint.post("move", "/games/:gameId/moves")
      .setPath(GamePath)
      .setPayload(MoveRequest)
      .setHeaders(CommandHeaders)
      .addSuccess(Accepted, { status: 202 })
      .addError(GameNotFound)
      .addError(IdempotencyKeyReused)
  )
  .add(
    HttpApiEndpoint.post("deposit", "/games/:gameId/deposits")
      .setPath(GamePath)
      .setPayload(DepositRequest)
      .setHeaders(CommandHeaders)
      .addSuccess(Accepted, { status: 202 })
      .addError(GameNotFound)
      .addError(IdempotencyKeyReused)
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
    .setPath(Schema.Struct({ messageId: StorableText.StorableString }))
    .addSuccess(MessageView)
    .addError(MessageNotFound)
) {}

/**
 * The whole API; malformed or invalid requests answer `400 HttpApiDecodeError` naming the field, the server's own
 * failures 5xx (503 when storage is unavailable: retry; 500 when it cannot answer with what it stored).
 */
export class Api extends HttpApi.make("imperial")
  .add(GamesGroup)
  .add(MessagesGroup)
  .add(ConsoleApi.OperatorGroup)
  .addError(PayloadTooLarge)
  .addError(LengthRequired)
  .addError(Unavailable)
  .addError(InternalError)
  .annotate(OpenApi.Title, "Imperial rondel on Mailroom")
  .annotate(
    OpenApi.Description,
    "Commands answer 202 once stored durably; follow GET /messages/{messageId} for their outcome. Send an " +
      "Idempotency-Key header with every POST and retry with the same key after a 503 or a lost answer: the " +
      "command is applied once; the same key with another request answers 409."
  ) {}
