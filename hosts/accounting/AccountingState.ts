import { Schema } from "effect"
import * as Envelope from "../../src/runtime/Envelope.js"
import * as AccountingMessages from "../contracts/AccountingMessages.js"
import * as Amount from "../contracts/Amount.js"
import * as BillingId from "../contracts/BillingId.js"
import * as GameId from "../contracts/GameId.js"
import * as Nation from "../contracts/Nation.js"
import * as Ledger from "./Ledger.js"

/** A game's opened accounts: one per nation, each funded with the starting balance. */
export const Accounts = Schema.Struct({
  nations: Schema.NonEmptyArray(Nation.Nation),
  startingBalance: Amount.Amount
}).annotations({ identifier: "Accounts" })
/** A game's opened accounts: one per nation, each funded with the starting balance. */
export type Accounts = typeof Accounts.Type

/** What became of a rondel charge: paid, failed, refused because voided first, or paid then refunded. */
export const ChargeStatus = Schema.Literal("Paid", "Failed", "Voided", "Refunded").annotations({
  identifier: "ChargeStatus"
})
/** What became of a rondel charge: paid, failed, refused because voided first, or paid then refunded. */
export type ChargeStatus = typeof ChargeStatus.Type

/** A rondel charge as Accounting received it, and its outcome. */
export const Charge = Schema.Struct({
  billingId: BillingId.BillingId,
  nation: Nation.Nation,
  amount: Amount.PositiveAmount,
  status: ChargeStatus,
  /** Why a `Failed` charge failed. */
  reason: Schema.optionalWith(AccountingMessages.PaymentFailureReason, { exact: true })
}).annotations({ identifier: "Charge" })
/** A rondel charge as Accounting received it, and its outcome. */
export type Charge = typeof Charge.Type

/** One game's books; balances are derived from the ledger, never stored. */
export const AccountingState = Schema.Struct({
  gameId: GameId.GameId,
  /** Null until OpenAccounts (a charge or void may arrive first). */
  accounts: Schema.NullOr(Accounts),
  /** Append-only: every movement of money, in order. */
  ledger: Schema.Array(Ledger.LedgerEntry),
  /** Every charge received, by billing id, in arrival order. */
  charges: Schema.Array(Charge),
  /** Every billing id voided, in arrival order (including voids that came before their charge). */
  voids: Schema.Array(BillingId.BillingId),
  /** Ids of the Deposit messages already handled. */
  deposits: Schema.Array(Envelope.MessageId)
}).annotations({ identifier: "AccountingState" })
/** One game's books; balances are derived from the ledger, never stored. */
export type AccountingState = typeof AccountingState.Type

/** JSON codec for a stored accounting state (a database column, a snapshot file). */
export const AccountingStateFromJson = Schema.parseJson(AccountingState)

/** The books of a game nobody has opened accounts for yet. */
export const empty = (gameId: GameId.GameId): AccountingState => ({
  gameId,
  accounts: null,
  ledger: [],
  charges: [],
  voids: [],
  deposits: []
})
