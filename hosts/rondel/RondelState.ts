import { Schema } from "effect"
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

/** One nation on the wheel: its confirmed position (null = off the wheel) and its pending paid move, if any. */
export const NationOnRondel = Schema.Struct({
  nation: Nation.Nation,
  position: Schema.NullOr(Space.Space),
  pending: Schema.NullOr(PendingMovement)
}).annotations({ identifier: "NationOnRondel" })
/** One nation on the wheel: its confirmed position (null = off the wheel) and its pending paid move, if any. */
export type NationOnRondel = typeof NationOnRondel.Type

/** One game's rondel: its nations in starting order, and the ids of the Move messages already handled. */
export const RondelState = Schema.Struct({
  gameId: GameId.GameId,
  nations: Schema.NonEmptyArray(NationOnRondel),
  /** Every Move message id handled for this game (kept so a redelivered Move changes nothing). */
  handledMoves: Schema.Array(Envelope.MessageId)
}).annotations({ identifier: "RondelState" })
/** One game's rondel: its nations in starting order, and the ids of the Move messages already handled. */
export type RondelState = typeof RondelState.Type

/** JSON codec for a stored rondel state (a database column, a snapshot file). */
export const RondelStateFromJson = Schema.parseJson(RondelState)
