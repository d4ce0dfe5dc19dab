import { Array as Arr, Schema } from "effect"
import * as Versioned from "../../src/commit/Versioned.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import * as Amount from "../contracts/Amount.js"
import * as BillingId from "../contracts/BillingId.js"
import * as GameId from "../contracts/GameId.js"
import * as Nation from "../contracts/Nation.js"
import * as Space from "../contracts/Space.js"

/** A long move waiting for its payment: where the nation will go once charge `billingId` is paid. */
export const PendingMovement = Schema.Struct({
  space: Space.Space,
  billingId: BillingId.BillingId,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "PendingMovement" })
/** A long move waiting for its payment: where the nation will go once charge `billingId` is paid. */
export type PendingMovement = typeof PendingMovement.Type

/**
 * A pending move as the state keeps it: the move, and the id of its payment deadline (the message Rondel scheduled
 * for itself, to cancel it when the outcome comes first); null for a move stored before deadlines existed.
 */
export const PendingPayment = Schema.Struct({
  ...PendingMovement.fields,
  deadline: Schema.NullOr(Envelope.MessageId)
}).annotations({ identifier: "PendingPayment" })
/** A pending move as the state keeps it: the move and the id of its payment deadline. */
export type PendingPayment = typeof PendingPayment.Type

/** One nation on the wheel: its confirmed position (null = off the wheel) and its pending paid move, if any. */
export const NationOnRondel = Schema.Struct({
  nation: Nation.Nation,
  position: Schema.NullOr(Space.Space),
  pending: Schema.NullOr(PendingPayment)
}).annotations({ identifier: "NationOnRondel" })
/** One nation on the wheel: its confirmed position (null = off the wheel) and its pending paid move, if any. */
export type NationOnRondel = typeof NationOnRondel.Type

/**
 * How many Move ids a game's state remembers, newest kept, so a Move handed over again changes nothing. A duplicate
 * older than that is dropped by the inbox of the durable boundary (the memory boundary hands it to decide again).
 */
export const recentLimit = 16

/** One game's rondel: its nations in starting order, and the ids of its latest handled Move messages. */
export const RondelState = Schema.Struct({
  gameId: GameId.GameId,
  nations: Schema.NonEmptyArray(NationOnRondel),
  /** The ids of the game's latest Move messages handled, oldest first, at most `recentLimit`. */
  recentMoves: Schema.Array(Envelope.MessageId)
}).annotations({ identifier: "RondelState" })
/** One game's rondel: its nations in starting order, and the ids of its latest handled Move messages. */
export type RondelState = typeof RondelState.Type

/** The version of {@link RondelState}'s shape this release writes. */
export const version = 3

// Versions 1 and 2 (frozen: only read, to upcast them) had pending moves without a deadline.
const NationOnRondelV2 = Schema.Struct({
  nation: Nation.Nation,
  position: Schema.NullOr(Space.Space),
  pending: Schema.NullOr(PendingMovement)
})

// Version 1 (the first release, no `schemaVersion`): every handled Move id, forever.
const RondelStateV1 = Schema.Struct({
  gameId: GameId.GameId,
  nations: Schema.NonEmptyArray(NationOnRondelV2),
  handledMoves: Schema.Array(Envelope.MessageId)
})

// Version 2: the newest Move ids only.
const RondelStateV2 = Schema.Struct({
  gameId: GameId.GameId,
  nations: Schema.NonEmptyArray(NationOnRondelV2),
  recentMoves: Schema.Array(Envelope.MessageId)
})

/**
 * The stored form of a state: carries `schemaVersion`; a v1 state (every Move id ever handled) and a v2 state
 * (pending moves without a deadline: none was scheduled, so they keep waiting, as they did) are upcast on load.
 */
export const Stored = Versioned.state(RondelState, {
  version,
  upcasts: [
    Versioned.upcast(
      1,
      RondelStateV1,
      (old): RondelState =>
        fromV2({
          gameId: old.gameId,
          nations: old.nations,
          recentMoves: old.handledMoves.slice(-recentLimit)
        })
    ),
    Versioned.upcast(2, RondelStateV2, (old): RondelState => fromV2(old))
  ]
})

/** JSON codec for a stored rondel state (a database column, a snapshot file). */
export const RondelStateFromJson = Schema.parseJson(Stored)

/** The list of Move ids with `messageId` appended, keeping only the newest `recentLimit`. */
export const rememberMove = (
  recentMoves: ReadonlyArray<Envelope.MessageId>,
  messageId: Envelope.MessageId
): ReadonlyArray<Envelope.MessageId> =>
  recentMoves.length < recentLimit
    ? [...recentMoves, messageId]
    : [...recentMoves.slice(recentMoves.length - recentLimit + 1), messageId]

// internal

const fromV2 = (old: typeof RondelStateV2.Type): RondelState => ({
  gameId: old.gameId,
  nations: Arr.map(old.nations, withoutDeadline),
  recentMoves: old.recentMoves
})

const withoutDeadline = (entry: typeof NationOnRondelV2.Type): NationOnRondel => ({
  ...entry,
  pending: entry.pending === null ? null : { ...entry.pending, deadline: null }
})
