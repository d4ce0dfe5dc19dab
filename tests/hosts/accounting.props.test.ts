import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import * as AccountingState from "../../hosts/accounting/AccountingState.js"
import * as Ledger from "../../hosts/accounting/Ledger.js"
import * as Amount from "../../hosts/contracts/Amount.js"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as Nation from "../../hosts/contracts/Nation.js"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import { accounting, charge, deposit, historyOf, open, voidCharge } from "./accountingFixtures.js"
import * as GivenWhenThen from "../../src/testing/GivenWhenThen.js"

type Delivery = GivenWhenThen.Delivery<Contracts.AccountingInbound>

const nation = fc.constantFrom(...Nation.Nations)
const billingId = fc.constantFrom("b-1", "b-2", "b-3", "b-4", "b-5")
// Mostly small amounts, so charges meet balances; sometimes huge ones, so sums near the limit must stay exact.
const amount = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: Amount.limit - 8, max: Amount.limit }) }
)

/** Any Accounting message from small pools (so billing ids collide), or a redelivery of an earlier one. */
const message: fc.Arbitrary<Contracts.AccountingInbound | { readonly redeliver: number }> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constant(Amount.limit)),
        fc.uniqueArray(nation, { minLength: 1, maxLength: 4 })
      )
      .map(([balance, [first, ...rest]]) => open(balance, [first!, ...rest]))
  },
  { weight: 5, arbitrary: fc.tuple(nation, billingId, amount).map(([n, b, a]) => charge(n, b, a)) },
  { weight: 3, arbitrary: fc.tuple(nation, billingId).map(([n, b]) => voidCharge(n, b)) },
  { weight: 3, arbitrary: fc.tuple(nation, amount).map(([n, a]) => deposit(n, a)) },
  { weight: 2, arbitrary: fc.nat().map((redeliver) => ({ redeliver })) }
)

const deliveries: fc.Arbitrary<ReadonlyArray<Delivery>> = fc
  .array(message, { maxLength: 50, size: "medium" })
  .map((messages) => {
    const out: Array<Delivery> = []
    messages.forEach((m, i) => {
      if ("redeliver" in m) {
        const earlier = out[m.redeliver % Math.max(1, out.length)]
        if (earlier !== undefined) out.push(earlier)
      } else out.push(GivenWhenThen.withId(`m-${i}`, m, 1_000 * i))
    })
    return out
  })

describe("Accounting properties", () => {
  it.prop("money is conserved and every balance is what the events say", [deliveries], ([history]) => {
    const { steps } = accounting.run(history)
    const expected = new Map<Ledger.Account, number>()
    const add = (account: Ledger.Account, delta: number) =>
      expected.set(account, (expected.get(account) ?? 0) + delta)
    for (const { after, decision } of steps) {
      for (const event of decision.events) {
        switch (event._tag) {
          case "AccountsOpened":
            for (const n of event.nations) add(n, event.startingBalance)
            break
          case "FundsDeposited":
          case "RondelChargeRefunded":
            add(event.nation, event.amount)
            break
          case "RondelInvoicePaid":
            add(event.nation, -event.amount)
            break
        }
      }
      if (after === undefined) continue
      const balances = Accounting.balances(after)
      assert.strictEqual(
        balances.reduce((a, b) => a + b.amount, 0),
        0,
        "all balances including the bank sum to zero"
      )
      for (const n of Nation.Nations) {
        const balance = balances.find((b) => b.account === n)?.amount ?? 0
        assert.isAtLeast(balance, 0, `${n} is never overdrawn`)
        assert.isAtMost(balance, Amount.limit, `${n} never holds more than the limit`)
        assert.strictEqual(balance, expected.get(n) ?? 0, `${n}'s balance matches its events`)
      }
    }
    // The ledger projected from the audit log is well formed and agrees with the balances the state keeps.
    const ledger = historyOf(...steps).ledger
    ledger.forEach((entry, i) => {
      assert.strictEqual(entry.entryId, i + 1)
      assert.notStrictEqual(entry.from, entry.to)
      assert.isTrue(entry.amount > 0)
    })
    const last = steps.at(-1)?.after
    if (last !== undefined) {
      for (const { account, amount } of Accounting.balances(last))
        assert.strictEqual(Ledger.balanceOf(ledger, account), amount, `${account}: ledger and state agree`)
    }
  })

  it.prop("each billing id moves money at most once each way", [deliveries], ([history]) => {
    const { ledger, charges } = historyOf(...accounting.run(history).steps)
    const byBilling = new Map<string, Array<Ledger.EntryKind>>()
    for (const entry of ledger) {
      if (entry.billingId !== undefined)
        byBilling.set(entry.billingId, [...(byBilling.get(entry.billingId) ?? []), entry.kind])
    }
    for (const [id, kinds] of byBilling) {
      assert.isTrue(
        ["Charge"].join() === kinds.join() || ["Charge", "Refund"].join() === kinds.join(),
        `${id}: ${kinds.join(", ")}`
      )
      const status = charges.find((c) => c.billingId === id)?.status
      assert.strictEqual(status, kinds.length === 1 ? "Paid" : "Refunded")
    }
  })

  it.prop("the state stays bounded", [deliveries], ([history]) => {
    const { state } = accounting.run(history)
    if (state === undefined) return
    assert.isAtMost(state.voidable.length, Nation.Nations.length)
    assert.isAtMost(new Set(state.voidable.map((c) => c.nation)).size, state.voidable.length)
    assert.isAtMost(state.settled.length, AccountingState.recentLimit)
    assert.isAtMost(state.earlyVoids.length, AccountingState.recentLimit)
    assert.isAtMost(state.deposits.length, AccountingState.recentLimit)
    if (state.accounts !== null) assert.deepStrictEqual(state.held, [])
  })

  it.prop(
    "handling every message twice (same id) gives the same state and events as once",
    [deliveries],
    ([history]) => {
      const once = accounting.run(history)
      const twice = accounting.run(history.flatMap((d) => [d, d]))
      assert.deepStrictEqual(twice.state, once.state)
      assert.deepStrictEqual(
        twice.steps.flatMap((s) => s.decision.events),
        once.steps.flatMap((s) => s.decision.events)
      )
    }
  )

  it.prop("the state stays storable as JSON", [deliveries], ([history]) => {
    const { state } = accounting.run(history)
    if (state === undefined) return
    const json = Schema.encodeSync(AccountingState.AccountingStateFromJson)(state)
    assert.deepStrictEqual(Schema.decodeUnknownSync(AccountingState.AccountingStateFromJson)(json), state)
  })
})
