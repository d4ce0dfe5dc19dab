import { Either, Schema } from "effect"
import type { AuditEntry } from "../../src/commit/CommitBoundary.js"
import * as AccountingMessages from "../contracts/AccountingMessages.js"
import * as Amount from "../contracts/Amount.js"
import * as BillingId from "../contracts/BillingId.js"
import * as Contracts from "../contracts/Contracts.js"
import * as Nation from "../contracts/Nation.js"
import * as AccountingState from "./AccountingState.js"
import * as Ledger from "./Ledger.js"

/** Where a charge stands in a game's history: waiting for the accounts to open, or its outcome. */
export const ChargeRecordStatus = Schema.Union(
  AccountingState.ChargeStatus,
  Schema.Literal("Waiting")
).annotations({ identifier: "ChargeRecordStatus" })
/** Where a charge stands in a game's history: waiting for the accounts to open, or its outcome. */
export type ChargeRecordStatus = typeof ChargeRecordStatus.Type

/** One rondel charge as the audit log tells it: who, how much, and what became of it. */
export const ChargeRecord = Schema.Struct({
  billingId: BillingId.BillingId,
  nation: Nation.Nation,
  amount: Amount.PositiveAmount,
  status: ChargeRecordStatus,
  /** Why a `Failed` charge failed. */
  reason: Schema.optionalWith(AccountingMessages.PaymentFailureReason, { exact: true })
}).annotations({ identifier: "ChargeRecord" })
/** One rondel charge as the audit log tells it: who, how much, and what became of it. */
export type ChargeRecord = typeof ChargeRecord.Type

/** A game's money history, projected from Accounting's audit log (never kept in its state). */
export interface History {
  /** Every movement of money, oldest first, numbered from 1. */
  readonly ledger: ReadonlyArray<Ledger.LedgerEntry>
  /** Every charge received, in arrival order, with its latest status. */
  readonly charges: ReadonlyArray<ChargeRecord>
  /** Billing ids voided for which no charge has arrived. */
  readonly voidedBeforeCharge: ReadonlyArray<BillingId.BillingId>
}

/**
 * Projects one game's audit log (Accounting's own, oldest first) into its ledger and charge history: each entry's
 * events say what moved, the consumed message says which message moved it and when. Entries written by older
 * releases read the same (events are decoded at any version the contracts know).
 */
export const project = (log: ReadonlyArray<AuditEntry>): History => {
  const ledger: Array<Ledger.LedgerEntry> = []
  const charges = new Map<string, ChargeRecord>()
  const voided: Array<BillingId.BillingId> = []
  for (const entry of log) {
    const cause = { messageId: entry.message.messageId, at: entry.message.occurredAt }
    const write = (movement: Omit<Ledger.LedgerEntry, "entryId" | "messageId" | "at">) =>
      ledger.push({ entryId: ledger.length + 1, ...movement, ...cause })
    const setStatus = (
      fields: { billingId: BillingId.BillingId; nation: Nation.Nation; amount?: number | undefined },
      status: ChargeRecordStatus,
      reason?: AccountingMessages.PaymentFailureReason
    ) => {
      const known = charges.get(fields.billingId)
      const amount = fields.amount ?? known?.amount
      if (amount === undefined) return
      charges.set(fields.billingId, {
        billingId: fields.billingId,
        nation: fields.nation,
        amount,
        status,
        ...(reason === undefined ? {} : { reason })
      })
    }
    for (const wire of entry.events) {
      const decoded = Contracts.decodeMessage(wire.type, wire.version, wire.payload)
      if (Either.isLeft(decoded)) continue
      const event = decoded.right
      switch (event._tag) {
        case "AccountsOpened":
          // A zero starting balance moves no money, so it writes no entry (every entry moves a positive amount).
          if (event.startingBalance > 0)
            for (const nation of event.nations)
              write({ kind: "Opening", from: Ledger.Bank, to: nation, amount: event.startingBalance })
          break
        case "RondelInvoicePaid":
          write({
            kind: "Charge",
            from: event.nation,
            to: Ledger.Bank,
            amount: event.amount,
            billingId: event.billingId
          })
          setStatus(event, "Paid")
          break
        case "RondelInvoicePaymentFailed":
          if (event.reason === "Voided") setStatus(event, "Voided")
          else setStatus(event, "Failed", event.reason)
          break
        case "RondelChargeRefunded":
          write({
            kind: "Refund",
            from: Ledger.Bank,
            to: event.nation,
            amount: event.amount,
            billingId: event.billingId
          })
          setStatus(event, "Refunded")
          break
        case "FundsDeposited":
          write({ kind: "Deposit", from: Ledger.Bank, to: event.nation, amount: event.amount })
          break
        case "HeldUntilAccountsOpen":
          if (
            event.held === "ChargeMovement" &&
            event.billingId !== undefined &&
            !charges.has(event.billingId)
          )
            setStatus({ billingId: event.billingId, nation: event.nation, amount: event.amount }, "Waiting")
          break
      }
    }
    if (entry.message.type === "VoidCharge") {
      const billingId = (entry.message.payload as { readonly billingId?: unknown }).billingId
      if (typeof billingId === "string" && !voided.includes(billingId as BillingId.BillingId))
        voided.push(billingId as BillingId.BillingId)
    }
  }
  return {
    ledger,
    charges: [...charges.values()],
    voidedBeforeCharge: voided.filter((id) => !charges.has(id))
  }
}

/** A charge's status in a game's history; `VoidedBeforeCharge` when only its void arrived, `Unknown` when nothing did. */
export const chargeStatus = (
  history: History,
  billingId: BillingId.BillingId
): ChargeRecordStatus | "VoidedBeforeCharge" | "Unknown" =>
  history.charges.find((c) => c.billingId === billingId)?.status ??
  (history.voidedBeforeCharge.includes(billingId) ? "VoidedBeforeCharge" : "Unknown")
