import * as Decision from "../../../src/commit/Decision.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import type * as ChargeMessages from "../../contracts/ChargeMessages.js"
import * as AccountingState from "../AccountingState.js"
import { balanceOf, credit, type AccountingDecision, hasAccount, isCharged } from "./decision.js"
import { hold } from "./hold.js"

/**
 * Applies a rondel charge once per billing id: held until the accounts are open; refused if voided first or if the
 * nation has no account or too little money, otherwise paid from the nation to the bank. The nation's previous
 * charge is settled for good (Rondel voids a charge before it sends the nation's next one).
 */
export const chargeMovement = (
  state: AccountingState.AccountingState | undefined,
  message: ChargeMessages.ChargeMovement,
  ctx: Decision.DecideContext
): AccountingDecision => {
  const base = state ?? AccountingState.empty(message.gameId)
  if (base.accounts === null) return hold(base, { messageId: ctx.messageId, message })
  if (isCharged(base, message.billingId)) return Decision.none

  const failure = base.earlyVoids.includes(message.billingId)
    ? "Voided"
    : !hasAccount(base, message.nation)
      ? "NoAccount"
      : balanceOf(base, message.nation) < message.amount
        ? "InsufficientFunds"
        : undefined
  const charge = { billingId: message.billingId, nation: message.nation, amount: message.amount }
  const previous = base.voidable.find((c) => c.nation === message.nation)
  const settledBefore: AccountingState.AccountingState =
    previous === undefined
      ? base
      : {
          ...base,
          voidable: base.voidable.filter((c) => c !== previous),
          settled: AccountingState.remember(base.settled, {
            billingId: previous.billingId,
            status: previous.status
          })
        }

  if (failure !== undefined) {
    return Decision.make({
      state: {
        ...settledBefore,
        settled: AccountingState.remember(settledBefore.settled, {
          billingId: message.billingId,
          status: failure === "Voided" ? "Voided" : "Failed"
        }),
        earlyVoids: settledBefore.earlyVoids.filter((id) => id !== message.billingId)
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
  const paid = credit(settledBefore, message.nation, -message.amount)
  return Decision.make({
    state: { ...paid, voidable: [...paid.voidable, { ...charge, status: "Paid" }] },
    events: [AccountingMessages.RondelInvoicePaid.make({ gameId: base.gameId, ...charge })]
  })
}
