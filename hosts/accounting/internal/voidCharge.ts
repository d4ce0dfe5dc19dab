import * as Effects from "../../../src/commit/Effects.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import type * as ChargeMessages from "../../contracts/ChargeMessages.js"
import * as AccountingState from "../AccountingState.js"
import * as Ledger from "../Ledger.js"
import { type Decision, record } from "./decision.js"

/**
 * Voids a charge once: a paid charge is refunded (compensation); any other is only remembered, so a charge that
 * arrives later is not applied. A second void of the same billing id changes nothing.
 */
export const voidCharge = (
  state: AccountingState.AccountingState | undefined,
  message: ChargeMessages.VoidCharge,
  ctx: Effects.DecideContext
): Decision => {
  const base = state ?? AccountingState.empty(message.gameId)
  if (base.voids.includes(message.billingId)) return Effects.none
  const voided: AccountingState.AccountingState = { ...base, voids: [...base.voids, message.billingId] }
  const charge = base.charges.find((c) => c.billingId === message.billingId)
  if (charge?.status !== "Paid") return Effects.make({ state: voided })

  const refunded: AccountingState.AccountingState = {
    ...voided,
    charges: voided.charges.map((c) => (c.billingId === charge.billingId ? { ...c, status: "Refunded" } : c))
  }
  return Effects.make({
    state: record(refunded, ctx, {
      kind: "Refund",
      from: Ledger.Bank,
      to: charge.nation,
      amount: charge.amount,
      billingId: charge.billingId
    }),
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
