import { Schema } from "effect"
import * as Envelope from "../../src/runtime/Envelope.js"
import * as Amount from "../contracts/Amount.js"
import * as BillingId from "../contracts/BillingId.js"
import * as Nation from "../contracts/Nation.js"

/** The bank: the source of all money in a game; its balance is minus the sum of the nations' balances. */
export const Bank = "Bank" as const

/** An account in a game's ledger: a nation's purse or the bank. */
export const Account = Schema.Union(Nation.Nation, Schema.Literal(Bank)).annotations({
  identifier: "Account"
})
/** An account in a game's ledger: a nation's purse or the bank. */
export type Account = typeof Account.Type

/** Why money moved: funding at opening, a rondel charge, its refund, or a deposit. */
export const EntryKind = Schema.Literal("Opening", "Charge", "Refund", "Deposit").annotations({
  identifier: "EntryKind"
})
/** Why money moved: funding at opening, a rondel charge, its refund, or a deposit. */
export type EntryKind = typeof EntryKind.Type

/** One movement of money between two accounts; the ledger only ever grows. */
export const LedgerEntry = Schema.Struct({
  /** Position in the game's ledger, from 1. */
  entryId: Schema.Int.pipe(Schema.positive()),
  kind: EntryKind,
  from: Account,
  to: Account,
  amount: Amount.PositiveAmount,
  /** The rondel charge this entry pays or refunds. */
  billingId: Schema.optionalWith(BillingId.BillingId, { exact: true }),
  /** The message whose handling wrote this entry. */
  messageId: Envelope.MessageId,
  /** When that message occurred, in epoch milliseconds. */
  at: Schema.Number
}).annotations({ identifier: "LedgerEntry" })
/** One movement of money between two accounts; the ledger only ever grows. */
export type LedgerEntry = typeof LedgerEntry.Type

/** An account's balance in millions; only the bank's may be negative. */
export const Balance = Schema.Struct({ account: Account, amount: Schema.Int }).annotations({
  identifier: "Balance"
})
/** An account's balance in millions; only the bank's may be negative. */
export type Balance = typeof Balance.Type

/** An account's balance: what the ledger paid into it minus what it paid out. */
export const balanceOf = (entries: ReadonlyArray<LedgerEntry>, account: Account): number =>
  entries.reduce(
    (sum, entry) =>
      sum + (entry.to === account ? entry.amount : 0) - (entry.from === account ? entry.amount : 0),
    0
  )

/** Every listed nation's balance in order, then the bank's; all derived from the entries, summing to zero. */
export const balances = (
  nations: ReadonlyArray<Nation.Nation>,
  entries: ReadonlyArray<LedgerEntry>
): ReadonlyArray<Balance> =>
  [...nations, Bank].map((account) => ({ account, amount: balanceOf(entries, account) }))
