import * as Effects from "../../../src/commit/Effects.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import type * as ChargeMessages from "../../contracts/ChargeMessages.js"
import * as AccountingState from "../AccountingState.js"
import * as Ledger from "../Ledger.js"
import { type Decision, hasAccount, record } from "./decision.js"

/**
 * Applies a rondel charge once per billing id: refused if voided first or if the nation has no account or too
 * little money, otherwise paid from the nation to the bank. Every outcome is recorded, so a duplicate changes nothing.
 */
export const chargeMovement = (
  state: AccountingState.AccountingState | undefined,
  message: ChargeMessages.ChargeMovement,
  ctx: Effects.DecideContext
): Decision => {
  const base = state ?? AccountingState.empty(message.gameId)
  if (base.charges.some((charge) => charge.billingId === message.billingId)) return Effects.none

  const failure = base.voids.includes(message.billingId)
    ? "Voided"
    : !hasAccount(base, message.nation)
      ? "NoAccount"
      : Ledger.balanceOf(base.ledger, message.nation) < message.amount
        ? "InsufficientFunds"
        : undefined
  const charge = { billingId: message.billingId, nation: message.nation, amount: message.amount }

  if (failure !== undefined) {
    return Effects.make({
      state: {
        ...base,
        charges: [
          ...base.charges,
          failure === "Voided"
            ? { ...charge, status: "Voided" }
            : { ...charge, status: "Failed", reason: failure }
        ]
      },
      events: [
        AccountingMessages.RondelInvoicePaymentFailed.make({
          gameId: base.gameId,
          ...charge,
          reason: failure
        })
      ]
    })
  }
  const paid: AccountingState.AccountingState = {
    ...base,
    charges: [...base.charges, { ...charge, status: "Paid" }]
  }
  return Effects.make({
    state: record(paid, ctx, {
      kind: "Charge",
      from: message.nation,
      to: Ledger.Bank,
      amount: message.amount,
      billingId: message.billingId
    }),
    events: [AccountingMessages.RondelInvoicePaid.make({ gameId: base.gameId, ...charge })]
  })
}
