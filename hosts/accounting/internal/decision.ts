import type * as Effects from "../../../src/commit/Effects.js"
import type * as BillingId from "../../contracts/BillingId.js"
import type * as Contracts from "../../contracts/Contracts.js"
import type * as Nation from "../../contracts/Nation.js"
import type * as AccountingState from "../AccountingState.js"
import type * as Ledger from "../Ledger.js"

/** What one Accounting handler returns. */
export type Decision = Effects.Effects<AccountingState.AccountingState, Contracts.AccountingEvent, never>

/** A movement of money to record; the entry id, message id and time come from the state and the context. */
export interface Movement {
  readonly kind: Ledger.EntryKind
  readonly from: Ledger.Account
  readonly to: Ledger.Account
  readonly amount: number
  readonly billingId?: BillingId.BillingId
}

/** The state with movements appended to its ledger, numbered after the last entry. */
export const record = (
  state: AccountingState.AccountingState,
  ctx: Effects.DecideContext,
  ...movements: ReadonlyArray<Movement>
): AccountingState.AccountingState => ({
  ...state,
  ledger: [
    ...state.ledger,
    ...movements.map(
      (movement, i): Ledger.LedgerEntry => ({
        entryId: state.ledger.length + i + 1,
        ...movement,
        messageId: ctx.messageId,
        at: ctx.now
      })
    )
  ]
})

/** True when the game's accounts are open and the nation has one. */
export const hasAccount = (state: AccountingState.AccountingState, nation: Nation.Nation): boolean =>
  state.accounts?.nations.includes(nation) ?? false
