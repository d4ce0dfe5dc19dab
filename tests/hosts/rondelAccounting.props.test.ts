import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import type * as AccountingState from "../../hosts/accounting/AccountingState.js"
import * as Ledger from "../../hosts/accounting/Ledger.js"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as Nation from "../../hosts/contracts/Nation.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as Rondel from "../../hosts/rondel/Rondel.js"
import type * as RondelState from "../../hosts/rondel/RondelState.js"
import { type AccountingStep, accounting as accountingSpec, historyOf, open } from "./accountingFixtures.js"
import * as GivenWhenThen from "../../src/testing/GivenWhenThen.js"
import { move, rondel as rondelSpec, start } from "./rondelFixtures.js"

// Both deciders wired by hand, as the hosts will be: Rondel's commands go to Accounting, Accounting's answers
// to charges go back to Rondel. Messages in flight are delivered in any order that keeps each producer's own order
// (what both boundaries guarantee per key: one lane per producer and destination), some more than once.

const players = ["Italy", "France", "Germany"] as const

type InFlight =
  | {
      readonly from: string
      readonly to: "rondel"
      readonly delivery: GivenWhenThen.Delivery<Contracts.RondelInbound>
    }
  | {
      readonly from: string
      readonly to: "accounting"
      readonly delivery: GivenWhenThen.Delivery<Contracts.AccountingInbound>
    }

type Action =
  | { readonly _tag: "Move"; readonly nation: Nation.Nation; readonly space: Space.Space }
  | { readonly _tag: "Deliver"; readonly pick: number; readonly again: boolean }

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      _tag: fc.constant("Move" as const),
      nation: fc.constantFrom(...players),
      space: fc.constantFrom(...Space.Spaces)
    })
  },
  {
    weight: 3,
    arbitrary: fc.record({
      _tag: fc.constant("Deliver" as const),
      pick: fc.nat(),
      again: fc.integer({ min: 0, max: 4 }).map((n) => n === 0)
    })
  }
)

const simulate = (startingBalance: number, actions: ReadonlyArray<Action>) => {
  let rondel: RondelState.RondelState | undefined
  let accounting: AccountingState.AccountingState | undefined
  const inFlight: Array<InFlight> = [
    { from: "outside", to: "rondel", delivery: GivenWhenThen.withId("setup-rondel", start(players), 0) },
    {
      from: "outside",
      to: "accounting",
      delivery: GivenWhenThen.withId("setup-accounting", open(startingBalance, players), 0)
    }
  ]
  const accountingSteps: Array<AccountingStep> = []
  // The oldest message of each lane (producer → destination) is the only one of its lane that can arrive next.
  const heads = () =>
    inFlight.flatMap((item, i) =>
      inFlight.findIndex((other) => other.from === item.from && other.to === item.to) === i ? [i] : []
    )
  // What each nation paid for moves that completed (Rondel moved it on a confirmed payment).
  const paidForMoves = new Map<Nation.Nation, number>()
  let clock = 0

  const deliver = (index: number, again: boolean) => {
    const item = inFlight[index]!
    if (!again) inFlight.splice(index, 1)
    clock += 1
    const id = item.delivery.messageId
    if (item.to === "rondel") {
      const step = rondelSpec.apply(rondel, item.delivery)
      rondel = step.after
      const message = item.delivery.message
      if (
        message._tag === "RondelInvoicePaid" &&
        step.decision.events.some((e) => e._tag === "ActionDetermined")
      ) {
        paidForMoves.set(message.nation, (paidForMoves.get(message.nation) ?? 0) + message.amount)
      }
      step.decision.commands.forEach((command, k) => {
        inFlight.push({
          from: "rondel",
          to: "accounting",
          delivery: GivenWhenThen.withId(`${id}/c${k}`, command, clock)
        })
      })
    } else {
      const step = accountingSpec.apply(accounting, item.delivery)
      accountingSteps.push(step)
      accounting = step.after
      step.decision.events.forEach((event, k) => {
        if (event._tag === "RondelInvoicePaid" || event._tag === "RondelInvoicePaymentFailed") {
          inFlight.push({
            from: "accounting",
            to: "rondel",
            delivery: GivenWhenThen.withId(`${id}/e${k}`, event, clock)
          })
        }
      })
    }
  }

  actions.forEach((next, i) => {
    if (next._tag === "Move") {
      inFlight.push({
        from: "outside",
        to: "rondel",
        delivery: GivenWhenThen.withId(`move-${i}`, move(next.nation, next.space), clock)
      })
    } else if (inFlight.length > 0) {
      const lanes = heads()
      deliver(lanes[next.pick % lanes.length]!, next.again)
    }
  })
  // Settle: deliver everything still in flight, oldest first (each delivery may add at most a few new ones).
  for (let budget = 10_000; inFlight.length > 0; budget--) {
    assert.isAbove(budget, 0, "the two hosts settle")
    deliver(0, false)
  }
  return { rondel: rondel!, accounting: accounting!, paidForMoves, history: historyOf(...accountingSteps) }
}

describe("Rondel and Accounting together", () => {
  it.prop(
    "once settled, no payment is pending and each nation paid exactly for its completed long moves",
    [fc.integer({ min: 0, max: 12 }), fc.array(action, { maxLength: 80, size: "medium" })],
    ([startingBalance, actions]) => {
      const { rondel, accounting, paidForMoves, history } = simulate(startingBalance, actions)
      for (const position of Rondel.positions(rondel)) {
        assert.isNull(position.pending, `${position.nation} still waits for a payment`)
      }
      for (const nation of players) {
        assert.strictEqual(
          startingBalance - Accounting.balanceOf(accounting, nation),
          paidForMoves.get(nation) ?? 0,
          `${nation}: money taken = cost of the long moves it made`
        )
      }
      const all = [...Nation.Nations, Ledger.Bank].map((a) => Accounting.balanceOf(accounting, a))
      assert.strictEqual(
        all.reduce((a, b) => a + b, 0),
        0
      )
      for (const nation of players) {
        const paidCharges = history.charges.filter((c) => c.nation === nation && c.status === "Paid")
        assert.strictEqual(
          paidCharges.reduce((sum, c) => sum + c.amount, 0),
          paidForMoves.get(nation) ?? 0,
          `${nation}: charges still paid = long moves made (the rest failed, were voided or refunded)`
        )
      }
    },
    { fastCheck: { numRuns: 200 } }
  )
})
