import { Schema } from "effect"
import * as Amount from "./Amount.js"
import * as BillingId from "./BillingId.js"
import * as GameId from "./GameId.js"
import * as Nation from "./Nation.js"
import * as Space from "./Space.js"

// Commands

/** Places every listed nation of a game off the wheel; a second one for the same game changes nothing. */
export const SetToStartingPositions = Schema.TaggedStruct("SetToStartingPositions", {
  gameId: GameId.GameId,
  nations: Nation.NationList
}).annotations({ identifier: "SetToStartingPositions" })
/** Places every listed nation of a game off the wheel; a second one for the same game changes nothing. */
export type SetToStartingPositions = typeof SetToStartingPositions.Type

/** Asks to move a nation to a rondel space (the player's choice of action). */
export const Move = Schema.TaggedStruct("Move", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  space: Space.Space
}).annotations({ identifier: "Move" })
/** Asks to move a nation to a rondel space (the player's choice of action). */
export type Move = typeof Move.Type

// Events

/** A game's nations were placed off the wheel. */
export const PositionedAtStart = Schema.TaggedStruct("PositionedAtStart", {
  gameId: GameId.GameId,
  nations: Nation.NationList
}).annotations({ identifier: "PositionedAtStart" })
/** A game's nations were placed off the wheel. */
export type PositionedAtStart = typeof PositionedAtStart.Type

/** A nation landed on a space and so takes that space's action. */
export const ActionDetermined = Schema.TaggedStruct("ActionDetermined", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  space: Space.Space,
  action: Space.Action
}).annotations({ identifier: "ActionDetermined" })
/** A nation landed on a space and so takes that space's action. */
export type ActionDetermined = typeof ActionDetermined.Type

/** Why a move to a space did not happen. */
export const RejectionReason = Schema.Literal(
  "UnknownGame",
  "NationNotInGame",
  "StandingStill",
  "TooFar",
  "Superseded",
  "PaymentFailed",
  "PaymentTimedOut"
).annotations({ identifier: "RejectionReason" })
/** Why a move to a space did not happen. */
export type RejectionReason = typeof RejectionReason.Type

/** A move to a space did not happen (refused, superseded by a later move, or its payment failed or timed out). */
export const MoveToActionSpaceRejected = Schema.TaggedStruct("MoveToActionSpaceRejected", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  space: Space.Space,
  reason: RejectionReason,
  detail: Schema.optionalWith(Schema.String, { exact: true })
}).annotations({ identifier: "MoveToActionSpaceRejected" })
/** A move to a space did not happen (refused, superseded by a later move, or its payment failed or timed out). */
export type MoveToActionSpaceRejected = typeof MoveToActionSpaceRejected.Type

/** A long move waits for its payment: the nation stays on `from` until the charge `billingId` is paid. */
export const MovementAwaitingPayment = Schema.TaggedStruct("MovementAwaitingPayment", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  /** The confirmed position the nation keeps until payment (a paid move always starts on the wheel). */
  from: Space.Space,
  /** The target space. */
  space: Space.Space,
  billingId: BillingId.BillingId,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "MovementAwaitingPayment" })
/** A long move waits for its payment: the nation stays on `from` until the charge `billingId` is paid. */
export type MovementAwaitingPayment = typeof MovementAwaitingPayment.Type

// Rondel's own timers

/**
 * Rondel's deadline for the payment of a pending move (charge `billingId`): scheduled by Rondel for itself when the
 * move starts waiting; if the move still waits for that charge when it falls due, the move is rejected and the
 * charge voided.
 */
export const PaymentDeadline = Schema.TaggedStruct("PaymentDeadline", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  billingId: BillingId.BillingId
}).annotations({ identifier: "PaymentDeadline" })
/** Rondel's deadline for the payment of a pending move (charge `billingId`). */
export type PaymentDeadline = typeof PaymentDeadline.Type
