import * as Decision from "../../../src/commit/Decision.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import * as Amount from "../../contracts/Amount.js"
import type * as Nation from "../../contracts/Nation.js"
import * as AccountingState from "../AccountingState.js"
import { balanceOf, credit, type AccountingDecision, hasAccount } from "./decision.js"
import { hold } from "./hold.js"

/**
 * Pays money from the bank to a nation, once per message id: held until the accounts are open; refused (and
 * reported) when the nation has no account or the deposit would take its money past `Amount.limit`.
 */
export const deposit = (
  state: AccountingState.AccountingState | undefined,
  message: AccountingMessages.Deposit,
  ctx: Decision.DecideContext
): AccountingDecision => {
  const base = state ?? AccountingState.empty(message.gameId)
  if (base.accounts === null) return hold(base, { messageId: ctx.messageId, message })
  if (base.deposits.includes(ctx.messageId)) return Decision.none
  const handled: AccountingState.AccountingState = {
    ...base,
    deposits: AccountingState.remember(base.deposits, ctx.messageId)
  }
  const { gameId, nation, amount } = message
  const refusal = !hasAccount(base, nation)
    ? "NoAccount"
    : holdings(base, nation) + amount > Amount.limit
      ? "BalanceLimit"
      : undefined
  if (refusal !== undefined) {
    return Decision.make({
      state: handled,
      events: [AccountingMessages.DepositRejected.make({ gameId, nation, amount, reason: refusal })]
    })
  }
  return Decision.make({
    state: credit(handled, nation, amount),
    events: [AccountingMessages.FundsDeposited.make({ gameId, nation, amount })]
  })
}

// internal

// A nation's money: its balance plus its voidable charge, which a void can still refund. Charges and refunds move
// money between the two parts, so only openings and deposits raise it: bounding it at Amount.limit bounds every balance.
const holdings = (state: AccountingState.AccountingState, nation: Nation.Nation): number =>
  balanceOf(state, nation) +
  state.voidable.reduce((sum, c) => (c.nation === nation ? sum + c.amount : sum), 0)
