import { Schema } from "effect"
import * as Envelope from "../../../src/runtime/Envelope.js"
import * as AccountingMessages from "../../contracts/AccountingMessages.js"
import * as Amount from "../../contracts/Amount.js"
import * as BillingId from "../../contracts/BillingId.js"
import * as GameId from "../../contracts/GameId.js"
import * as Nation from "../../contracts/Nation.js"

// The accounting state as the first release stored it (no `schemaVersion`), frozen: only read, to upcast it.

const Account = Schema.Union(Nation.Nation, Schema.Literal("Bank"))

const LedgerEntryV1 = Schema.Struct({
  entryId: Schema.Int.pipe(Schema.positive()),
  kind: Schema.Literal("Opening", "Charge", "Refund", "Deposit"),
  from: Account,
  to: Account,
  amount: Amount.PositiveAmount,
  billingId: Schema.optionalWith(BillingId.BillingId, { exact: true }),
  messageId: Envelope.MessageId,
  at: Schema.Number
})

const ChargeV1 = Schema.Struct({
  billingId: BillingId.BillingId,
  nation: Nation.Nation,
  amount: Amount.PositiveAmount,
  status: Schema.Literal("Paid", "Failed", "Voided", "Refunded"),
  reason: Schema.optionalWith(AccountingMessages.PaymentFailureReason, { exact: true })
})
/** A charge as the first release stored it. */
export type ChargeV1 = typeof ChargeV1.Type

/** Version 1: the whole ledger, every charge, every void and every deposit id of a game. */
export const AccountingStateV1 = Schema.Struct({
  gameId: GameId.GameId,
  accounts: Schema.NullOr(
    Schema.Struct({ nations: Schema.NonEmptyArray(Nation.Nation), startingBalance: Amount.Amount })
  ),
  ledger: Schema.Array(LedgerEntryV1),
  charges: Schema.Array(ChargeV1),
  voids: Schema.Array(BillingId.BillingId),
  deposits: Schema.Array(Envelope.MessageId)
})
/** Version 1 of the accounting state. */
export type AccountingStateV1 = typeof AccountingStateV1.Type
