import * as Decision from "../../../src/commit/Decision.js"
import * as ChargeMessages from "../../contracts/ChargeMessages.js"
import type * as Contracts from "../../contracts/Contracts.js"
import * as RondelMessages from "../../contracts/RondelMessages.js"
import type * as RondelContext from "../RondelContext.js"
import * as RondelState from "../RondelState.js"
import { actionDetermined, cancelDeadline, type RondelDecision, findNation, withNation } from "./decision.js"
import * as Movement from "./movement.js"

/**
 * Handles a Move: refused moves are reported and leave any pending move alone; a valid move first supersedes a
 * pending one (void its charge, cancel its deadline, report its target rejected), then completes (free) or waits for
 * payment (paid) with a payment deadline scheduled for itself.
 */
export const move = (
  state: RondelState.RondelState | undefined,
  message: RondelMessages.Move,
  ctx: RondelContext.RondelContext
): RondelDecision => {
  // No state to record the message id in: a redelivered Move for an unknown game is rejected again (harmless).
  if (state === undefined) {
    return Decision.make({
      events: [rejected(message, "UnknownGame", `game ${message.gameId} has no starting positions`)]
    })
  }
  if (state.recentMoves.includes(ctx.messageId)) return Decision.none
  const handled: RondelState.RondelState = {
    ...state,
    recentMoves: RondelState.rememberMove(state.recentMoves, ctx.messageId)
  }
  const entry = findNation(state, message.nation)
  if (entry === undefined) {
    const playing = state.nations.map((n) => n.nation).join(", ")
    return Decision.make({
      state: handled,
      events: [
        rejected(
          message,
          "NationNotInGame",
          `${message.nation} does not play in ${state.gameId}; ${playing} do`
        )
      ]
    })
  }
  const plan = Movement.plan(entry.position, message.space)
  if (plan._tag === "Refused") {
    return Decision.make({ state: handled, events: [rejected(message, plan.reason, plan.detail)] })
  }

  const events: Array<Contracts.RondelEvent> = []
  const commands: Array<Contracts.RondelOutbound> = []
  // A superseded move's deadline is cancelled with it (should it fire anyway, it finds no pending move of its charge).
  const cancelled = cancelDeadline(entry.pending)
  if (entry.pending !== null) {
    commands.push(
      ChargeMessages.VoidCharge.make({
        gameId: state.gameId,
        nation: entry.nation,
        billingId: entry.pending.billingId
      })
    )
    events.push(
      RondelMessages.MoveToActionSpaceRejected.make({
        gameId: state.gameId,
        nation: entry.nation,
        space: entry.pending.space,
        reason: "Superseded",
        detail: `superseded by a move to ${message.space}`
      })
    )
  }

  if (plan._tag === "Free") {
    events.push(actionDetermined(state, entry.nation, message.space))
    return Decision.make({
      state: withNation(handled, { ...entry, position: message.space, pending: null }),
      events,
      commands,
      cancelled
    })
  }

  // A paid move always starts on the wheel: the first move is free.
  const from = entry.position!
  const movement = { space: message.space, billingId: ctx.newBillingId, amount: plan.amount }
  events.push(
    RondelMessages.MovementAwaitingPayment.make({
      gameId: state.gameId,
      nation: entry.nation,
      from,
      ...movement
    })
  )
  commands.push(
    ChargeMessages.ChargeMovement.make({
      gameId: state.gameId,
      nation: entry.nation,
      billingId: movement.billingId,
      amount: movement.amount
    })
  )
  // The payment deadline is this decision's only scheduled message, so its id is `scheduledId(ctx, 0)`.
  const deadline = RondelMessages.PaymentDeadline.make({
    gameId: state.gameId,
    nation: entry.nation,
    billingId: movement.billingId
  })
  return Decision.make({
    state: withNation(handled, {
      ...entry,
      pending: { ...movement, deadline: Decision.scheduledId(ctx, 0) }
    }),
    events,
    commands,
    scheduled: [Decision.after(ctx.paymentDeadline, deadline)],
    cancelled
  })
}

// internal

const rejected = (
  message: RondelMessages.Move,
  reason: RondelMessages.RejectionReason,
  detail: string
): RondelMessages.MoveToActionSpaceRejected =>
  RondelMessages.MoveToActionSpaceRejected.make({
    gameId: message.gameId,
    nation: message.nation,
    space: message.space,
    reason,
    detail
  })
