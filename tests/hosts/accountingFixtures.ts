import type { AuditEntry } from "../../src/commit/CommitBoundary.js"
import type { Envelope, MessageId } from "../../src/runtime/Envelope.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import * as BillingId from "../../hosts/contracts/BillingId.js"
import * as ChargeMessages from "../../hosts/contracts/ChargeMessages.js"
import * as Contracts from "../../hosts/contracts/Contracts.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import type * as AccountingState from "../../hosts/accounting/AccountingState.js"
import * as LedgerProjection from "../../hosts/accounting/LedgerProjection.js"
import * as GivenWhenThen from "../../src/testing/GivenWhenThen.js"

/** Accounting's decide as a given/when/then subject (plain context: id and time from the envelope). */
export const accounting = GivenWhenThen.for(Accounting.decide)

export const gameId = GameId.GameId.make("game-1")

export const bill = (id: string): BillingId.BillingId => BillingId.BillingId.make(id)

export const open = (
  startingBalance = 10,
  nations: readonly [Nation.Nation, ...Array<Nation.Nation>] = ["Italy", "France"]
): AccountingMessages.OpenAccounts =>
  AccountingMessages.OpenAccounts.make({ gameId, nations, startingBalance })

export const charge = (
  nation: Nation.Nation,
  billingId: string,
  amount: number
): ChargeMessages.ChargeMovement =>
  ChargeMessages.ChargeMovement.make({ gameId, nation, billingId: bill(billingId), amount })

export const voidCharge = (nation: Nation.Nation, billingId: string): ChargeMessages.VoidCharge =>
  ChargeMessages.VoidCharge.make({ gameId, nation, billingId: bill(billingId) })

export const deposit = (nation: Nation.Nation, amount: number): AccountingMessages.Deposit =>
  AccountingMessages.Deposit.make({ gameId, nation, amount })

export const opened = (
  startingBalance = 10,
  nations: readonly [Nation.Nation, ...Array<Nation.Nation>] = ["Italy", "France"]
) => AccountingMessages.AccountsOpened.make({ gameId, nations, startingBalance })

export const invoicePaid = (nation: Nation.Nation, billingId: string, amount: number) =>
  AccountingMessages.RondelInvoicePaid.make({ gameId, nation, billingId: bill(billingId), amount })

export const invoiceFailed = (
  nation: Nation.Nation,
  billingId: string,
  amount: number,
  reason: AccountingMessages.PaymentFailureReason
) =>
  AccountingMessages.RondelInvoicePaymentFailed.make({
    gameId,
    nation,
    billingId: bill(billingId),
    amount,
    reason
  })

export const refunded = (nation: Nation.Nation, billingId: string, amount: number) =>
  AccountingMessages.RondelChargeRefunded.make({ gameId, nation, billingId: bill(billingId), amount })

/** Balances as a plain record, for short assertions. */
export const balancesOf = (state: AccountingState.AccountingState | undefined): Record<string, number> =>
  Object.fromEntries(state === undefined ? [] : Accounting.balances(state).map((b) => [b.account, b.amount]))

/** One handled Accounting message, as GivenWhenThen records it. */
export type AccountingStep = GivenWhenThen.Step<
  AccountingState.AccountingState,
  Contracts.AccountingInbound,
  Contracts.AccountingEvent,
  never
>

/**
 * The audit log the steps would have written (one entry per handled message, its events encoded as on the wire),
 * so tests can read the ledger and charge history as the host's queries do: projected from the audit.
 */
export const auditOf = (steps: ReadonlyArray<AccountingStep>): ReadonlyArray<AuditEntry> =>
  steps.map((step, i) => {
    const wire = Contracts.encodeMessage(step.message)
    const envelope = (type: string, version: number, payload: unknown, messageId: string): Envelope => ({
      messageId: messageId as MessageId,
      causationId: step.messageId,
      correlationId: step.messageId,
      key: gameId,
      type,
      version,
      payload,
      occurredAt: step.occurredAt
    })
    return {
      seq: i + 1,
      host: "accounting",
      key: gameId,
      message: envelope(wire.type, wire.version, wire.payload, step.messageId),
      events: step.decision.events.map((event, j) => {
        const out = Contracts.encodeMessage(event)
        return envelope(out.type, out.version, out.payload, `${step.messageId}.${j}`)
      }),
      commands: [],
      stateChanged: step.decision.state !== undefined,
      version: 0,
      committedAt: step.occurredAt
    }
  })

/** The ledger and charge history of a given history plus its `when` step, as the host's queries project them. */
export const historyOf = (...steps: ReadonlyArray<AccountingStep>): LedgerProjection.History =>
  LedgerProjection.project(auditOf(steps))
