import * as Simulation from "../../src/testing/Simulation.js"
import * as Deadline from "../app/deadlineHost.js"

// The example shop/payments hosts (a payment deadline and its cancellation) under the simulator: orders with short
// deadlines, payments that come before, around and after them, duplicate sends; crashes, duplicates and delays
// hit the fired deadlines too.

/** Orders with deadlines of 5-120 virtual ms; most get a payment, sent somewhere after them in the workload. */
export const workload: Simulation.Workload = (rng) => {
  const items: Array<Simulation.Submission> = []
  const orders = rng.int(2, 8)
  const pending: Array<Simulation.Submission> = []
  for (let i = 1; i <= orders; i++) {
    const orderId = `o${i}`
    items.push(
      Simulation.send(
        Deadline.shop,
        Deadline.PlaceOrder.make({ orderId, amount: rng.int(1, 9), payWithinMillis: rng.int(5, 120) })
      )
    )
    if (rng.chance(0.8)) pending.push(Simulation.send(Deadline.payments, Deadline.Pay.make({ orderId })))
    // Some payments go right away, some later (after other orders): before, around and after their deadline.
    while (pending.length > 0 && rng.chance(0.5)) items.push(pending.shift()!)
    if (items.length > 0 && rng.chance(0.15)) items.push(rng.pick(items))
  }
  items.push(...pending)
  return items
}

const ordersOf = (world: Simulation.World) => Simulation.statesOf(world, Deadline.shop)

/** Every order ends paid or expired: the deadline is the compensating control of a payment that never comes. */
export const ordersEnd = Simulation.atConvergence("every order ends paid or expired", (world) => {
  const stuck = ordersOf(world).filter(([, order]) => order.status === "AwaitingPayment")
  return stuck.length === 0 || `still awaiting payment: ${stuck.map(([key]) => key).join(", ")}`
})

/** A deadline is applied at most once, and a paid order's payment exists, an expired one's request is cancelled. */
export const outcomesAgree = Simulation.atConvergence("outcomes agree across shop and payments", (world) => {
  for (const [key, order] of ordersOf(world)) {
    const payment = world.state(Deadline.payments, key)
    if (order.deadlinesSeen > 1) return `${key}: deadline applied ${order.deadlinesSeen} times`
    if (order.status === "Paid" && payment?.paid !== true) return `${key}: paid without a payment`
    if (order.status === "Expired" && payment?.cancelled !== true)
      return `${key}: expired, payment not cancelled`
  }
  return undefined
})

/** The order never goes back: once paid or expired, it stays so (checked after every step). */
export const noReturn = Simulation.invariant("an order never returns to awaiting payment", (world) => {
  for (const { host, key } of world.touched) {
    if (host !== "shop") continue
    const log = world.audit(Deadline.shop, key)
    const last = log.at(-1)
    if (last === undefined) continue
    if (
      world.state(Deadline.shop, key)?.status === "AwaitingPayment" &&
      log.length > 1 &&
      last.stateChanged
    ) {
      if (last.message.type !== "PlaceOrder")
        return `${key}: back to AwaitingPayment after ${last.message.type}`
    }
  }
  return undefined
})

export const invariants = [ordersEnd, outcomesAgree, noReturn]

export const options = (): Simulation.SimulationOptions => ({
  hosts: Deadline.definitions,
  workload,
  invariants
})
