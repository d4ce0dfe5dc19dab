import * as Decision from "../../../src/commit/Decision.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import type * as Contracts from "../../contracts/Contracts.js"
import * as AccountingState from "../AccountingState.js"
import { chargeMovement } from "./chargeMovement.js"
import type { AccountingDecision } from "./decision.js"
import { deposit } from "./deposit.js"
import { voidCharge } from "./voidCharge.js"

/**
 * Opens one account per nation, each funded from the bank, then applies the messages held until now in their arrival
 * order, each with its usual outcome; a game whose accounts are open is left as it is.
 */
export const openAccounts = (
  state: AccountingState.AccountingState | undefined,
  message: AccountingMessages.OpenAccounts,
  ctx: Decision.DecideContext
): AccountingDecision => {
  if (state?.accounts != null) return Decision.none
  const base = state ?? AccountingState.empty(message.gameId)
  let opened: AccountingState.AccountingState = {
    ...base,
    accounts: { nations: message.nations, startingBalance: message.startingBalance },
    balances: Object.fromEntries(message.nations.map((nation) => [nation, message.startingBalance])),
    held: []
  }
  const events: Array<Contracts.AccountingEvent> = [
    AccountingMessages.AccountsOpened.make({
      gameId: message.gameId,
      nations: message.nations,
      startingBalance: message.startingBalance
    })
  ]
  for (const { messageId, message: held } of base.held) {
    const heldCtx = { messageId, now: ctx.now }
    const decision =
      held._tag === "ChargeMovement"
        ? chargeMovement(opened, held, heldCtx)
        : held._tag === "VoidCharge"
          ? voidCharge(opened, held, heldCtx)
          : deposit(opened, held, heldCtx)
    if (decision.state !== undefined) opened = decision.state
    events.push(...decision.events)
  }
  return Decision.make({ state: opened, events })
}
