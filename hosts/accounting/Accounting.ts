import type * as Decision from "../../src/commit/Decision.js"
import type * as BillingId from "../contracts/BillingId.js"
import type * as Contracts from "../contracts/Contracts.js"
import type * as AccountingState from "./AccountingState.js"
import { chargeMovement } from "./internal/chargeMovement.js"
import type { AccountingDecision } from "./internal/decision.js"
import { deposit } from "./internal/deposit.js"
import { openAccounts } from "./internal/openAccounts.js"
import { voidCharge } from "./internal/voidCharge.js"
import * as Ledger from "./Ledger.js"

/**
 * Where a billing id stands as far as the state remembers: a charge's status, `Waiting` (held until the accounts
 * open), `VoidedBeforeCharge` (void seen, charge not yet), or `Unknown` (never seen, or settled longer ago than the
 * state remembers: the audit log has the whole history, see `LedgerProjection`).
 */
export type ChargeStatusView = AccountingState.ChargeStatus | "Waiting" | "VoidedBeforeCharge" | "Unknown"

/**
 * Accounting's pure decision for one message of one game (`state` undefined = nothing recorded for it yet).
 * Total and synchronous: refusals are events, never thrown.
 */
export const decide = (
  state: AccountingState.AccountingState | undefined,
  message: Contracts.AccountingInbound,
  ctx: Decision.DecideContext
): AccountingDecision => {
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

/** Every nation's balance in starting order, then the bank's (minus their sum: all balances sum to zero). */
export const balances = (state: AccountingState.AccountingState): ReadonlyArray<Ledger.Balance> => {
  const nations = (state.accounts?.nations ?? []).map((nation) => ({
    account: nation,
    amount: state.balances[nation] ?? 0
  }))
  // `0 - sum` rather than `-sum`: an empty game's bank holds 0, not -0.
  return [...nations, { account: Ledger.Bank, amount: 0 - nations.reduce((sum, b) => sum + b.amount, 0) }]
}

/** One account's balance. */
export const balanceOf = (state: AccountingState.AccountingState, account: Ledger.Account): number =>
  balances(state).find((b) => b.account === account)?.amount ?? 0

/** The charges the state still holds: voidable (paid) ones; settled ones are in `chargeStatus` and the audit. */
export const voidable = (state: AccountingState.AccountingState): ReadonlyArray<AccountingState.Charge> =>
  state.voidable

/** Where a billing id stands among what the state remembers (see {@link ChargeStatusView}). */
export const chargeStatus = (
  state: AccountingState.AccountingState,
  billingId: BillingId.BillingId
): ChargeStatusView =>
  state.voidable.find((c) => c.billingId === billingId)?.status ??
  state.settled.find((c) => c.billingId === billingId)?.status ??
  (state.held.some((h) => h.message._tag === "ChargeMovement" && h.message.billingId === billingId)
    ? "Waiting"
    : state.earlyVoids.includes(billingId)
      ? "VoidedBeforeCharge"
      : "Unknown")
