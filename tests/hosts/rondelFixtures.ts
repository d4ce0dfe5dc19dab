import * as Envelope from "../../src/runtime/Envelope.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import * as BillingId from "../../hosts/contracts/BillingId.js"
import * as ChargeMessages from "../../hosts/contracts/ChargeMessages.js"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as RondelMessages from "../../hosts/contracts/RondelMessages.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as Rondel from "../../hosts/rondel/Rondel.js"
import type * as RondelContext from "../../hosts/rondel/RondelContext.js"
import type * as RondelState from "../../hosts/rondel/RondelState.js"
import * as GivenWhenThen from "../../src/testing/GivenWhenThen.js"

/** The billing id the test host edge derives from a message id. */
export const billingIdFor = (messageId: string): BillingId.BillingId =>
  BillingId.BillingId.make(`bill-${messageId}`)

/** The context a host edge would build: id and time from the envelope, billing id derived from the message id. */
export const context = (messageId: Envelope.MessageId, occurredAt: number): RondelContext.RondelContext => ({
  messageId,
  now: occurredAt,
  newBillingId: billingIdFor(messageId),
  paymentDeadline: paymentDeadlineMillis
})

/** The payment deadline the test host edge configures. */
export const paymentDeadlineMillis = 60_000

/** Rondel's decide with the test host edge's context. */
const rondelDecider: GivenWhenThen.Decider<
  RondelState.RondelState,
  Contracts.RondelInbound,
  Contracts.RondelEvent,
  Contracts.RondelOutbound,
  RondelContext.RondelContext
> = { decide: Rondel.decide, context }

/** Rondel's decide as a given/when/then subject. */
export const rondel = GivenWhenThen.for(rondelDecider)

export const gameId = GameId.GameId.make("game-1")

export const start = (
  nations: readonly [Nation.Nation, ...Array<Nation.Nation>] = ["Italy", "France"]
): RondelMessages.SetToStartingPositions => RondelMessages.SetToStartingPositions.make({ gameId, nations })

export const move = (nation: Nation.Nation, space: Space.Space, game = gameId): RondelMessages.Move =>
  RondelMessages.Move.make({ gameId: game, nation, space })

export const paid = (
  nation: Nation.Nation,
  billingId: string,
  amount: number
): AccountingMessages.RondelInvoicePaid =>
  AccountingMessages.RondelInvoicePaid.make({
    gameId,
    nation,
    billingId: BillingId.BillingId.make(billingId),
    amount
  })

export const paymentFailed = (
  nation: Nation.Nation,
  billingId: string,
  amount: number,
  reason: AccountingMessages.PaymentFailureReason = "InsufficientFunds"
): AccountingMessages.RondelInvoicePaymentFailed =>
  AccountingMessages.RondelInvoicePaymentFailed.make({
    gameId,
    nation,
    billingId: BillingId.BillingId.make(billingId),
    amount,
    reason
  })

export const determined = (nation: Nation.Nation, space: Space.Space): RondelMessages.ActionDetermined =>
  RondelMessages.ActionDetermined.make({ gameId, nation, space, action: Space.actionOf(space) })

export const rejected = (
  nation: Nation.Nation,
  space: Space.Space,
  reason: RondelMessages.RejectionReason,
  detail: string
): RondelMessages.MoveToActionSpaceRejected =>
  RondelMessages.MoveToActionSpaceRejected.make({ gameId, nation, space, reason, detail })

export const awaiting = (
  nation: Nation.Nation,
  from: Space.Space,
  space: Space.Space,
  billingId: string,
  amount: number
): RondelMessages.MovementAwaitingPayment =>
  RondelMessages.MovementAwaitingPayment.make({
    gameId,
    nation,
    from,
    space,
    billingId: BillingId.BillingId.make(billingId),
    amount
  })

export const charge = (
  nation: Nation.Nation,
  billingId: string,
  amount: number
): ChargeMessages.ChargeMovement =>
  ChargeMessages.ChargeMovement.make({
    gameId,
    nation,
    billingId: BillingId.BillingId.make(billingId),
    amount
  })

export const voidCharge = (nation: Nation.Nation, billingId: string): ChargeMessages.VoidCharge =>
  ChargeMessages.VoidCharge.make({ gameId, nation, billingId: BillingId.BillingId.make(billingId) })

/** The space `steps` clockwise from `from`. */
export const stepsFrom = (from: Space.Space, steps: number): Space.Space =>
  Space.Spaces[(Space.spaceIndex(from) + steps) % Space.Spaces.length]!

export const messageId = (id: string): Envelope.MessageId => Envelope.MessageId.make(id)
