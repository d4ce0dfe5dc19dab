import * as Decision from "../../../src/commit/Decision.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import type * as ChargeMessages from "../../contracts/ChargeMessages.js"
import * as AccountingState from "../AccountingState.js"
import { credit, type AccountingDecision, isCharged } from "./decision.js"
import { hold } from "./hold.js"

/**
 * Voids a charge once: held until the accounts are open; a voidable (paid) charge is refunded (compensation); a
 * settled one stays as it is; one never seen is remembered, so a charge that arrives later is not applied.
 */
export const voidCharge = (
  state: AccountingState.AccountingState | undefined,
  message: ChargeMessages.VoidCharge,
  ctx: Decision.DecideContext
): AccountingDecision => {
  const base = state ?? AccountingState.empty(message.gameId)
  if (base.accounts === null) return hold(base, { messageId: ctx.messageId, message })
  const charge = base.voidable.find((c) => c.billingId === message.billingId)
  if (charge === undefined) {
    return isCharged(base, message.billingId) || base.earlyVoids.includes(message.billingId)
      ? Decision.none
      : Decision.make({
          state: { ...base, earlyVoids: AccountingState.remember(base.earlyVoids, message.billingId) }
        })
  }
  const refunded = credit(base, charge.nation, charge.amount)
  return Decision.make({
    state: {
      ...refunded,
      voidable: refunded.voidable.filter((c) => c !== charge),
      settled: AccountingState.remember(refunded.settled, { billingId: charge.billingId, status: "Refunded" })
    },
    events: [
      AccountingMessages.RondelChargeRefunded.make({
        gameId: base.gameId,
        nation: charge.nation,
        billingId: charge.billingId,
        amount: charge.amount
      })
    ]
  })
}
