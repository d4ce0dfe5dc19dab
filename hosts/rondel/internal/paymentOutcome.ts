import * as Effects from "../../../src/commit/Effects.js"
import type * as AccountingMessages from "../../contracts/AccountingMessages.js"
import * as RondelMessages from "../../contracts/RondelMessages.js"
import type * as RondelState from "../RondelState.js"
import { actionDetermined, type Decision, findNation, withNation } from "./decision.js"

/** Payment confirmed for the nation's pending move: the nation moves and its action is determined. */
export const invoicePaid = (
  state: RondelState.RondelState | undefined,
  message: AccountingMessages.RondelInvoicePaid
): Decision => {
  const found = pendingFor(state, message)
  if (found === undefined) return Effects.none
  const { state: current, entry, pending } = found
  return Effects.make({
    state: withNation(current, { ...entry, position: pending.space, pending: null }),
    events: [actionDetermined(current, entry.nation, pending.space)]
  })
}

/** Payment failed for the nation's pending move: the move is dropped, the nation stays, the target is rejected. */
export const invoicePaymentFailed = (
  state: RondelState.RondelState | undefined,
  message: AccountingMessages.RondelInvoicePaymentFailed
): Decision => {
  const found = pendingFor(state, message)
  if (found === undefined) return Effects.none
  const { state: current, entry, pending } = found
  return Effects.make({
    state: withNation(current, { ...entry, pending: null }),
    events: [
      RondelMessages.MoveToActionSpaceRejected.make({
        gameId: current.gameId,
        nation: entry.nation,
        space: pending.space,
        reason: "PaymentFailed",
        detail: `charge ${pending.billingId} of ${pending.amount}M failed: ${message.reason}`
      })
    ]
  })
}

// internal

/**
 * The pending move this outcome is about; undefined for unknown games and unknown or superseded billing ids, whose
 * outcomes change nothing. An outcome for an unknown game is ignored rather than held: Rondel only charges for a
 * game it has, so no order of delivery makes an outcome overtake its game (holding it would wait forever), and no
 * context would act on a report of it; the audit log records it as handled with no change.
 */
const pendingFor = (
  state: RondelState.RondelState | undefined,
  message: AccountingMessages.RondelInvoicePaid | AccountingMessages.RondelInvoicePaymentFailed
):
  | {
      readonly state: RondelState.RondelState
      readonly entry: RondelState.NationOnRondel
      readonly pending: RondelState.PendingMovement
    }
  | undefined => {
  if (state === undefined) return undefined
  const entry = findNation(state, message.nation)
  const pending = entry?.pending
  return entry !== undefined && pending != null && pending.billingId === message.billingId
    ? { state, entry, pending }
    : undefined
}
