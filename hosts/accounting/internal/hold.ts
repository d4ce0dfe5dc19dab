import * as Decision from "../../../src/commit/Decision.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import type * as AccountingState from "../AccountingState.js"
import type { AccountingDecision } from "./decision.js"

/**
 * Holds a charge, void or deposit that arrived before the game's accounts were opened, to apply it when they are:
 * messages from Rondel and from the game's setup may overtake each other, and order alone is no reason to refuse.
 * The same message (its id, or for a charge its billing id) held twice is held once.
 */
export const hold = (
  state: AccountingState.AccountingState,
  held: AccountingState.Held
): AccountingDecision => {
  const { message } = held
  const duplicate = state.held.some(
    (h) =>
      h.messageId === held.messageId ||
      (message._tag !== "Deposit" &&
        h.message._tag === message._tag &&
        h.message.billingId === message.billingId)
  )
  if (duplicate) return Decision.none
  return Decision.make({
    state: { ...state, held: [...state.held, held] },
    events: [
      AccountingMessages.HeldUntilAccountsOpen.make({
        gameId: state.gameId,
        held: message._tag,
        nation: message.nation,
        ...(message._tag === "Deposit" ? {} : { billingId: message.billingId }),
        ...(message._tag === "VoidCharge" ? {} : { amount: message.amount })
      })
    ]
  })
}
