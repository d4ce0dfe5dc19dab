import { Array as Arr, Schema } from "effect"
import type * as Contracts from "../contracts/Contracts.js"
import * as GameId from "../contracts/GameId.js"
import * as Nation from "../contracts/Nation.js"
import * as Space from "../contracts/Space.js"
import type { RondelDecision } from "./internal/decision.js"
import { move } from "./internal/move.js"
import { invoicePaid, invoicePaymentFailed, paymentDeadline } from "./internal/paymentOutcome.js"
import { setToStartingPositions } from "./internal/setToStartingPositions.js"
import type * as RondelContext from "./RondelContext.js"
import * as RondelState from "./RondelState.js"

/** One nation's place on the wheel as a query answers it: confirmed space (null = off the wheel) and pending move. */
export const Position = Schema.Struct({
  nation: Nation.Nation,
  current: Schema.NullOr(Space.Space),
  pending: Schema.NullOr(RondelState.PendingMovement)
}).annotations({ identifier: "Position" })
/** One nation's place on the wheel as a query answers it: confirmed space (null = off the wheel) and pending move. */
export type Position = typeof Position.Type

/** A game at a glance: its id and its nations in starting order. */
export const Overview = Schema.Struct({
  gameId: GameId.GameId,
  nations: Schema.NonEmptyArray(Nation.Nation)
}).annotations({ identifier: "Overview" })
/** A game at a glance: its id and its nations in starting order. */
export type Overview = typeof Overview.Type

/**
 * Rondel's pure decision for one message of one game (`state` undefined = the game does not exist yet).
 * Total and synchronous: rejections are events, never thrown.
 */
export const decide = (
  state: RondelState.RondelState | undefined,
  message: Contracts.RondelInbound,
  ctx: RondelContext.RondelContext
): RondelDecision => {
  switch (message._tag) {
    case "SetToStartingPositions":
      return setToStartingPositions(state, message)
    case "Move":
      return move(state, message, ctx)
    case "RondelInvoicePaid":
      return invoicePaid(state, message)
    case "RondelInvoicePaymentFailed":
      return invoicePaymentFailed(state, message)
    case "PaymentDeadline":
      return paymentDeadline(state, message)
  }
}

/** Every nation's confirmed space and pending move, in starting order. */
export const positions = (state: RondelState.RondelState): ReadonlyArray<Position> =>
  state.nations.map((entry) => ({
    nation: entry.nation,
    current: entry.position,
    pending:
      entry.pending === null
        ? null
        : { space: entry.pending.space, billingId: entry.pending.billingId, amount: entry.pending.amount }
  }))

/** The game's id and nations. */
export const overview = (state: RondelState.RondelState): Overview => ({
  gameId: state.gameId,
  nations: Arr.map(state.nations, (entry) => entry.nation)
})
