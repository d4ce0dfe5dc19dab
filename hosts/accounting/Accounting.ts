import type * as Effects from "../../src/commit/Effects.js"
import type * as BillingId from "../contracts/BillingId.js"
import type * as Contracts from "../contracts/Contracts.js"
import type * as AccountingState from "./AccountingState.js"
import { chargeMovement } from "./internal/chargeMovement.js"
import { deposit } from "./internal/deposit.js"
import { openAccounts } from "./internal/openAccounts.js"
import { voidCharge } from "./internal/voidCharge.js"
import * as Ledger from "./Ledger.js"

/** What Accounting's decide returns for one message (Accounting sends no commands). */
export type AccountingEffects = Effects.Effects<
  AccountingState.AccountingState,
  Contracts.AccountingEvent,
  never
>

/** Where a billing id stands: a charge's status, `VoidedBeforeCharge` (void seen, charge not yet), or `Unknown`. */
export type ChargeStatusView = AccountingState.ChargeStatus | "VoidedBeforeCharge" | "Unknown"

/**
 * Accounting's pure decision for one message of one game (`state` undefined = nothing recorded for it yet).
 * Total and synchronous: refusals are events, never thrown.
 */
export const decide = (
  state: AccountingState.AccountingState | undefined,
  message: Contracts.AccountingInbound,
  ctx: Effects.DecideContext
): AccountingEffects => {
  switch (message._tag) {
    case "OpenAccounts":
      return openAccounts(state, message, ctx)
    case "ChargeMovement":
      return chargeMovement(state, message, ctx)
    case "VoidCharge":
      return voidCharge(state, message, ctx)
    case "Deposit":
      return deposit(state, message, ctx)
  }
}

/** Every nation's balance in starting order, then the bank's; derived from the ledger and summing to zero. */
export const balances = (state: AccountingState.AccountingState): ReadonlyArray<Ledger.Balance> =>
  Ledger.balances(state.accounts?.nations ?? [], state.ledger)

/** One account's balance, derived from the ledger. */
export const balanceOf = (state: AccountingState.AccountingState, account: Ledger.Account): number =>
  Ledger.balanceOf(state.ledger, account)

/** Every ledger entry, oldest first. */
export const ledger = (state: AccountingState.AccountingState): ReadonlyArray<Ledger.LedgerEntry> =>
  state.ledger

/** Every charge received, in arrival order. */
export const charges = (state: AccountingState.AccountingState): ReadonlyArray<AccountingState.Charge> =>
  state.charges

/** The charge with this billing id, if it arrived. */
export const charge = (
  state: AccountingState.AccountingState,
  billingId: BillingId.BillingId
): AccountingState.Charge | undefined => state.charges.find((c) => c.billingId === billingId)

/** Where a billing id stands, including a void that arrived before its charge. */
export const chargeStatus = (
  state: AccountingState.AccountingState,
  billingId: BillingId.BillingId
): ChargeStatusView =>
  charge(state, billingId)?.status ?? (state.voids.includes(billingId) ? "VoidedBeforeCharge" : "Unknown")
