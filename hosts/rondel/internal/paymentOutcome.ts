import * as Decision from "../../../src/commit/Decision.js"
import type * as AccountingMessages from "../../contracts/AccountingMessages.js"
import * as ChargeMessages from "../../contracts/ChargeMessages.js"
import * as RondelMessages from "../../contracts/RondelMessages.js"
import type * as RondelState from "../RondelState.js"
import { actionDetermined, cancelDeadline, type RondelDecision, findNation, withNation } from "./decision.js"

/** Payment confirmed for the nation's pending move: the nation moves, its action is determined, its deadline cancelled. */
export const invoicePaid = (
  state: RondelState.RondelState | undefined,
  message: AccountingMessages.RondelInvoicePaid
): RondelDecision => {
  const found = pendingFor(state, message)
  if (found === undefined) return Decision.none
  const { state: current, entry, pending } = found
  return Decision.make({
    state: withNation(current, { ...entry, position: pending.space, pending: null }),
    events: [actionDetermined(current, entry.nation, pending.space)],
    cancelled: cancelDeadline(pending)
  })
}

/**
 * Payment failed for the nation's pending move: the move is dropped, the nation stays, the target is rejected, the
 * deadline cancelled.
 */
export const invoicePaymentFailed = (
  state: RondelState.RondelState | undefined,
  message: AccountingMessages.RondelInvoicePaymentFailed
): RondelDecision => {
  const found = pendingFor(state, message)
  if (found === undefined) return Decision.none
  const { state: current, entry, pending } = found
  return Decision.make({
    state: withNation(current, { ...entry, pending: null }),
    events: [
      RondelMessages.MoveToActionSpaceRejected.make({
        gameId: current.gameId,
        nation: entry.nation,
        space: pending.space,
        reason: "PaymentFailed",
        detail: `charge ${pending.billingId} of ${pending.amount}M failed: ${message.reason}`
      })
    ],
    cancelled: cancelDeadline(pending)
  })
}

/**
 * The payment deadline of the nation's pending move fell due first: the move is dropped, the nation stays, the
 * target is rejected (`PaymentTimedOut`) and the charge voided (Accounting refunds it if it was paid after all). A
 * deadline whose move already ended (paid, failed, superseded: it lost the race with its cancel) changes nothing,
 * and an outcome that comes after the timeout finds no pending move and changes nothing either.
 */
export const paymentDeadline = (
  state: RondelState.RondelState | undefined,
  message: RondelMessages.PaymentDeadline
): RondelDecision => {
  const found = pendingFor(state, message)
  if (found === undefined) return Decision.none
  const { state: current, entry, pending } = found
  return Decision.make({
    state: withNation(current, { ...entry, pending: null }),
    events: [
      RondelMessages.MoveToActionSpaceRejected.make({
        gameId: current.gameId,
        nation: entry.nation,
        space: pending.space,
        reason: "PaymentTimedOut",
        detail: `no outcome for charge ${pending.billingId} of ${pending.amount}M by its deadline; the charge is voided`
      })
    ],
    commands: [
      ChargeMessages.VoidCharge.make({
        gameId: current.gameId,
        nation: entry.nation,
        billingId: pending.billingId
      })
    ]
  })
}

// internal

/**
 * The pending move this outcome (or deadline) is about; undefined for unknown games and unknown or superseded billing ids, whose
 * outcomes change nothing. An outcome for an unknown game is ignored rather than held: Rondel only charges for a
 * game it has, so no order of delivery makes an outcome overtake its game (holding it would wait forever), and no
 * context would act on a report of it; the audit log records it as handled with no change.
 */
const pendingFor = (
  state: RondelState.RondelState | undefined,
  message:
    | AccountingMessages.RondelInvoicePaid
    | AccountingMessages.RondelInvoicePaymentFailed
    | RondelMessages.PaymentDeadline
):
  | {
      readonly state: RondelState.RondelState
      readonly entry: RondelState.NationOnRondel
      readonly pending: RondelState.PendingPayment
    }
  | undefined => {
  if (state === undefined) return undefined
  const entry = findNation(state, message.nation)
  const pending = entry?.pending
  return entry !== undefined && pending != null && pending.billingId === message.billingId
    ? { state, entry, pending }
    : undefined
}
