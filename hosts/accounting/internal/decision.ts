import type * as Decision from "../../../src/commit/Decision.js"
import type * as BillingId from "../../contracts/BillingId.js"
import type * as Contracts from "../../contracts/Contracts.js"
import type * as Nation from "../../contracts/Nation.js"
import type * as AccountingState from "../AccountingState.js"

/** What Accounting's decide and each of its handlers return for one message (Accounting sends no commands). */
export type AccountingDecision = Decision.Decision<
  AccountingState.AccountingState,
  Contracts.AccountingEvent,
  never
>

/** True when the game's accounts are open and the nation has one. */
export const hasAccount = (state: AccountingState.AccountingState, nation: Nation.Nation): boolean =>
  state.accounts?.nations.includes(nation) ?? false

/** A nation's balance (0 without an account). */
export const balanceOf = (state: AccountingState.AccountingState, nation: Nation.Nation): number =>
  state.balances[nation] ?? 0

/** The state with `delta` millions added to a nation's balance (the bank's moves the other way). */
export const credit = (
  state: AccountingState.AccountingState,
  nation: Nation.Nation,
  delta: number
): AccountingState.AccountingState => ({
  ...state,
  balances: { ...state.balances, [nation]: balanceOf(state, nation) + delta }
})

/** True when a charge with this billing id was received and decided (voidable or settled). */
export const isCharged = (state: AccountingState.AccountingState, billingId: BillingId.BillingId): boolean =>
  state.voidable.some((c) => c.billingId === billingId) ||
  state.settled.some((c) => c.billingId === billingId)
