import * as Effects from "../../../src/commit/Effects.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import * as AccountingState from "../AccountingState.js"
import * as Ledger from "../Ledger.js"
import { type Decision, record } from "./decision.js"

/** Opens one account per nation, each funded from the bank; a game whose accounts are open is left as it is. */
export const openAccounts = (
  state: AccountingState.AccountingState | undefined,
  message: AccountingMessages.OpenAccounts,
  ctx: Effects.DecideContext
): Decision => {
  if (state?.accounts != null) return Effects.none
  const base = state ?? AccountingState.empty(message.gameId)
  const opened: AccountingState.AccountingState = {
    ...base,
    accounts: { nations: message.nations, startingBalance: message.startingBalance }
  }
  // A zero starting balance moves no money, so it writes no entry (every entry moves a positive amount).
  const funding =
    message.startingBalance > 0
      ? message.nations.map((nation) => ({
          kind: "Opening" as const,
          from: Ledger.Bank,
          to: nation,
          amount: message.startingBalance
        }))
      : []
  return Effects.make({
    state: record(opened, ctx, ...funding),
    events: [
      AccountingMessages.AccountsOpened.make({
        gameId: message.gameId,
        nations: message.nations,
        startingBalance: message.startingBalance
      })
    ]
  })
}
