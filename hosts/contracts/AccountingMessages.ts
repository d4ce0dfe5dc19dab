import { Schema } from "effect"
import * as Amount from "./Amount.js"
import * as BillingId from "./BillingId.js"
import * as GameId from "./GameId.js"
import * as Nation from "./Nation.js"

// Commands

/** Opens a game's accounts: one per nation, each funded by the bank with the starting balance. */
export const OpenAccounts = Schema.TaggedStruct("OpenAccounts", {
  gameId: GameId.GameId,
  nations: Nation.NationList,
  startingBalance: Amount.Amount
}).annotations({ identifier: "OpenAccounts" })
/** Opens a game's accounts: one per nation, each funded by the bank with the starting balance. */
export type OpenAccounts = typeof OpenAccounts.Type

/** Pays money from the bank into a nation's account (taxes, bonds; applied once per message id). */
export const Deposit = Schema.TaggedStruct("Deposit", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "Deposit" })
/** Pays money from the bank into a nation's account (taxes, bonds; applied once per message id). */
export type Deposit = typeof Deposit.Type

// Events

/** A game's accounts were opened, each nation funded with the starting balance. */
export const AccountsOpened = Schema.TaggedStruct("AccountsOpened", {
  gameId: GameId.GameId,
  nations: Nation.NationList,
  startingBalance: Amount.Amount
}).annotations({ identifier: "AccountsOpened" })
/** A game's accounts were opened, each nation funded with the starting balance. */
export type AccountsOpened = typeof AccountsOpened.Type

/** A rondel charge was taken from the nation's account. */
export const RondelInvoicePaid = Schema.TaggedStruct("RondelInvoicePaid", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  billingId: BillingId.BillingId,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "RondelInvoicePaid" })
/** A rondel charge was taken from the nation's account. */
export type RondelInvoicePaid = typeof RondelInvoicePaid.Type

/** Why a rondel charge was not paid. */
export const PaymentFailureReason = Schema.Literal("InsufficientFunds", "NoAccount", "Voided").annotations({
  identifier: "PaymentFailureReason"
})
/** Why a rondel charge was not paid. */
export type PaymentFailureReason = typeof PaymentFailureReason.Type

/** A rondel charge was not taken (not enough money, no account, or voided before it arrived). */
export const RondelInvoicePaymentFailed = Schema.TaggedStruct("RondelInvoicePaymentFailed", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  billingId: BillingId.BillingId,
  amount: Schema.optionalWith(Amount.PositiveAmount, { exact: true }),
  reason: PaymentFailureReason
}).annotations({ identifier: "RondelInvoicePaymentFailed" })
/** A rondel charge was not taken (not enough money, no account, or voided before it arrived). */
export type RondelInvoicePaymentFailed = typeof RondelInvoicePaymentFailed.Type

/** A paid rondel charge was voided and its amount given back to the nation (compensation). */
export const RondelChargeRefunded = Schema.TaggedStruct("RondelChargeRefunded", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  billingId: BillingId.BillingId,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "RondelChargeRefunded" })
/** A paid rondel charge was voided and its amount given back to the nation (compensation). */
export type RondelChargeRefunded = typeof RondelChargeRefunded.Type

/** Money was paid from the bank into a nation's account. */
export const FundsDeposited = Schema.TaggedStruct("FundsDeposited", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "FundsDeposited" })
/** Money was paid from the bank into a nation's account. */
export type FundsDeposited = typeof FundsDeposited.Type

/** What kind of message Accounting holds until the game's accounts are opened. */
export const HeldMessageType = Schema.Literal("ChargeMovement", "VoidCharge", "Deposit").annotations({
  identifier: "HeldMessageType"
})
/** What kind of message Accounting holds until the game's accounts are opened. */
export type HeldMessageType = typeof HeldMessageType.Type

/**
 * A charge, void or deposit arrived for a game whose accounts are not open yet: it is held, and applied (in arrival
 * order, with its usual outcome) when `OpenAccounts` arrives. Not a failure: messages of two producers may overtake
 * each other.
 */
export const HeldUntilAccountsOpen = Schema.TaggedStruct("HeldUntilAccountsOpen", {
  gameId: GameId.GameId,
  held: HeldMessageType,
  nation: Nation.Nation,
  billingId: Schema.optionalWith(BillingId.BillingId, { exact: true }),
  amount: Schema.optionalWith(Amount.PositiveAmount, { exact: true })
}).annotations({ identifier: "HeldUntilAccountsOpen" })
/** A charge, void or deposit held until the game's accounts are opened. */
export type HeldUntilAccountsOpen = typeof HeldUntilAccountsOpen.Type

/** Why a deposit was not applied. */
export const DepositRejectionReason = Schema.Literal("NoAccount", "BalanceLimit").annotations({
  identifier: "DepositRejectionReason"
})
/** Why a deposit was not applied. */
export type DepositRejectionReason = typeof DepositRejectionReason.Type

/**
 * A deposit was not applied: the nation has no account in that game, or the deposit would take the nation's money
 * (its balance plus its paid charges that a void could still refund) past `Amount.limit`.
 */
export const DepositRejected = Schema.TaggedStruct("DepositRejected", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  amount: Amount.PositiveAmount,
  reason: DepositRejectionReason
}).annotations({ identifier: "DepositRejected" })
/** A deposit was not applied: no account, or it would take the nation's money past `Amount.limit`. */
export type DepositRejected = typeof DepositRejected.Type
