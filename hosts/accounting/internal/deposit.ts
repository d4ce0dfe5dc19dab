import * as Effects from "../../../src/commit/Effects.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import * as AccountingState from "../AccountingState.js"
import * as Ledger from "../Ledger.js"
import { type Decision, hasAccount, record } from "./decision.js"

/** Pays money from the bank to a nation, once per message id; refused (and reported) when the nation has no account. */
export const deposit = (
  state: AccountingState.AccountingState | undefined,
  message: AccountingMessages.Deposit,
  ctx: Effects.DecideContext
): Decision => {
  const base = state ?? AccountingState.empty(message.gameId)
  if (base.deposits.includes(ctx.messageId)) return Effects.none
  const handled: AccountingState.AccountingState = { ...base, deposits: [...base.deposits, ctx.messageId] }
  const { gameId, nation, amount } = message
  if (!hasAccount(base, nation)) {
    return Effects.make({
      state: handled,
      events: [AccountingMessages.DepositRejected.make({ gameId, nation, amount, reason: "NoAccount" })]
    })
  }
  return Effects.make({
    state: record(handled, ctx, { kind: "Deposit", from: Ledger.Bank, to: nation, amount }),
    events: [AccountingMessages.FundsDeposited.make({ gameId, nation, amount })]
  })
}
