import { Schema } from "effect"
import * as Decision from "../../src/commit/Decision.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"

// A small example of a deadline and its cancellation, nothing Imperial: a shop asks payments for an order's money
// and schedules a payment deadline for itself. Paid first: the deadline is cancelled. Deadline first: the order
// expires and the payment request is cancelled (a payment that comes later is refunded by payments).

export const PlaceOrder = Schema.TaggedStruct("PlaceOrder", {
  orderId: Schema.String,
  amount: Schema.Int,
  payWithinMillis: Schema.Int
})
export const PaymentReceived = Schema.TaggedStruct("PaymentReceived", { orderId: Schema.String })
export const PaymentDeadline = Schema.TaggedStruct("PaymentDeadline", { orderId: Schema.String })
export const ShopInbound = Schema.Union(PlaceOrder, PaymentReceived, PaymentDeadline)
export type ShopInbound = typeof ShopInbound.Type

export const OrderPaid = Schema.TaggedStruct("OrderPaid", { orderId: Schema.String })
export const OrderExpired = Schema.TaggedStruct("OrderExpired", { orderId: Schema.String })
export const ShopEvent = Schema.Union(OrderPaid, OrderExpired)

export const RequestPayment = Schema.TaggedStruct("RequestPayment", {
  orderId: Schema.String,
  amount: Schema.Int
})
export const CancelPayment = Schema.TaggedStruct("CancelPayment", { orderId: Schema.String })
export const ShopCommand = Schema.Union(RequestPayment, CancelPayment)

export const Order = Schema.Struct({
  status: Schema.Literal("AwaitingPayment", "Paid", "Expired"),
  /** The id of the scheduled deadline, to cancel it. */
  deadline: Schema.String,
  deadlinesSeen: Schema.Int
})
export type Order = typeof Order.Type

export const shop = HostDefinition.fromSchemas({
  name: "shop",
  state: Order,
  inbound: ShopInbound,
  events: ShopEvent,
  commands: ShopCommand,
  keyOf: (message) => message.orderId,
  decide: (state, message, ctx) => {
    switch (message._tag) {
      case "PlaceOrder":
        if (state !== undefined) return Decision.none
        return Decision.make({
          state: { status: "AwaitingPayment", deadline: Decision.scheduledId(ctx, 0), deadlinesSeen: 0 },
          commands: [RequestPayment.make({ orderId: message.orderId, amount: message.amount })],
          scheduled: [
            Decision.after(message.payWithinMillis, PaymentDeadline.make({ orderId: message.orderId }))
          ]
        })
      case "PaymentReceived":
        if (state?.status !== "AwaitingPayment") return Decision.none
        return Decision.make({
          state: { ...state, status: "Paid" },
          events: [OrderPaid.make({ orderId: message.orderId })],
          cancelled: [state.deadline]
        })
      case "PaymentDeadline":
        if (state === undefined) return Decision.none
        // A deadline that lost the race with its cancellation is seen (counted) and changes nothing else.
        if (state.status !== "AwaitingPayment")
          return Decision.make({ state: { ...state, deadlinesSeen: state.deadlinesSeen + 1 } })
        return Decision.make({
          state: { ...state, status: "Expired", deadlinesSeen: state.deadlinesSeen + 1 },
          events: [OrderExpired.make({ orderId: message.orderId })],
          commands: [CancelPayment.make({ orderId: message.orderId })]
        })
    }
  }
})

export const Pay = Schema.TaggedStruct("Pay", { orderId: Schema.String })
export const PaymentsInbound = Schema.Union(RequestPayment, CancelPayment, Pay)
export const PaymentsCommand = PaymentReceived

export const Payment = Schema.Struct({
  requested: Schema.Boolean,
  paid: Schema.Boolean,
  cancelled: Schema.Boolean
})

export const payments = HostDefinition.fromSchemas({
  name: "payments",
  state: Payment,
  inbound: PaymentsInbound,
  commands: PaymentsCommand,
  keyOf: (message) => message.orderId,
  decide: (state, message) => {
    const current = state ?? { requested: false, paid: false, cancelled: false }
    switch (message._tag) {
      case "RequestPayment":
        return current.requested ? Decision.none : Decision.make({ state: { ...current, requested: true } })
      case "CancelPayment":
        return current.cancelled ? Decision.none : Decision.make({ state: { ...current, cancelled: true } })
      case "Pay":
        if (!current.requested || current.paid || current.cancelled) return Decision.none
        return Decision.make({
          state: { ...current, paid: true },
          commands: [PaymentReceived.make({ orderId: message.orderId })]
        })
    }
  }
})

export const definitions = [shop, payments] as const
