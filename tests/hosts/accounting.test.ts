import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import * as AccountingState from "../../hosts/accounting/AccountingState.js"
import * as Ledger from "../../hosts/accounting/Ledger.js"
import * as LedgerProjection from "../../hosts/accounting/LedgerProjection.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import * as Amount from "../../hosts/contracts/Amount.js"
import {
  accounting,
  balancesOf,
  bill,
  charge,
  deposit,
  gameId,
  historyOf,
  invoiceFailed,
  invoicePaid,
  open,
  opened,
  refunded,
  voidCharge
} from "./accountingFixtures.js"
import { withId } from "../../src/testing/GivenWhenThen.js"

describe("Accounting: opening accounts", () => {
  it("funds every nation from the bank and reports it", () => {
    const then = accounting
      .given()
      .when(open(10, ["Italy", "France", "Russia"]))
      .thenEmits({ events: [opened(10, ["Italy", "France", "Russia"])] })
      .thenState((state) => {
        assert.deepStrictEqual(balancesOf(state), { Italy: 10, France: 10, Russia: 10, Bank: -30 })
      })
    assert.deepStrictEqual(
      historyOf(then).ledger.map((e) => [e.entryId, e.kind, e.from, e.to, e.amount, e.messageId, e.at]),
      [
        [1, "Opening", "Bank", "Italy", 10, "when", 0],
        [2, "Opening", "Bank", "France", 10, "when", 0],
        [3, "Opening", "Bank", "Russia", 10, "when", 0]
      ]
    )
  })

  it("writes no ledger entry for a zero starting balance", () => {
    const then = accounting
      .given()
      .when(open(0))
      .thenEmits({ events: [opened(0)] })
      .thenState((state) => assert.deepStrictEqual(balancesOf(state), { Italy: 0, France: 0, Bank: 0 }))
    assert.deepStrictEqual(historyOf(then).ledger, [])
  })

  it("changes nothing when the accounts are already open", () => {
    accounting
      .given(open(10))
      .when(open(25, ["Germany"]))
      .thenNothing()
  })
})

describe("Accounting: charging a rondel move", () => {
  it("takes the amount from the nation to the bank and confirms it", () => {
    const given = accounting.given(open(10))
    const then = given
      .when(charge("Italy", "b-1", 4))
      .thenEmits({ events: [invoicePaid("Italy", "b-1", 4)] })
      .thenState((state) => {
        assert.deepStrictEqual(balancesOf(state), { Italy: 6, France: 10, Bank: -16 })
        assert.strictEqual(Accounting.chargeStatus(state!, bill("b-1")), "Paid")
      })
    assert.deepStrictEqual(historyOf(...given.steps, then).ledger.at(-1), {
      entryId: 3,
      kind: "Charge",
      from: "Italy",
      to: "Bank",
      amount: 4,
      billingId: bill("b-1"),
      messageId: then.messageId,
      at: 1_000
    })
  })

  it("pays a charge equal to the whole balance", () => {
    accounting
      .given(open(6))
      .when(charge("Italy", "b-1", 6))
      .thenEmits({ events: [invoicePaid("Italy", "b-1", 6)] })
      .thenState((state) => assert.strictEqual(Accounting.balanceOf(state!, "Italy"), 0))
  })

  it("refuses a charge larger than the balance and moves no money", () => {
    accounting
      .given(open(3))
      .when(charge("Italy", "b-1", 4))
      .thenEmits({ events: [invoiceFailed("Italy", "b-1", 4, "InsufficientFunds")] })
      .thenState((state) => {
        assert.deepStrictEqual(balancesOf(state), { Italy: 3, France: 3, Bank: -6 })
        assert.strictEqual(Accounting.chargeStatus(state!, bill("b-1")), "Failed")
      })
  })

  it("counts earlier charges and deposits in the balance", () => {
    accounting
      .given(open(4), charge("Italy", "b-1", 2), deposit("Italy", 3))
      .when(charge("Italy", "b-2", 5))
      .thenEmits({ events: [invoicePaid("Italy", "b-2", 5)] })
      .thenState((state) => assert.strictEqual(Accounting.balanceOf(state!, "Italy"), 0))
  })

  it("refuses a charge for a nation that has no account in the game", () => {
    accounting
      .given(open(10, ["Italy"]))
      .when(charge("Russia", "b-1", 2))
      .thenEmits({ events: [invoiceFailed("Russia", "b-1", 2, "NoAccount")] })
      .thenState((state) => assert.deepStrictEqual(balancesOf(state), { Italy: 10, Bank: -10 }))
  })

  it("applies the same billing id once (double payment)", () => {
    accounting
      .given(open(10), charge("Italy", "b-1", 4))
      .when(charge("Italy", "b-1", 4))
      .thenNothing()
    accounting
      .given(open(10), charge("Italy", "b-1", 4))
      .when(withId("again", charge("Italy", "b-1", 4)))
      .thenNothing()
  })

  it("does not retry a failed billing id even if the nation can now pay", () => {
    accounting
      .given(open(1), charge("Italy", "b-1", 4), deposit("Italy", 10))
      .when(charge("Italy", "b-1", 4))
      .thenNothing()
  })
})

describe("Accounting: voiding a charge", () => {
  it("refunds a paid charge (compensation)", () => {
    const given = accounting.given(open(10), charge("Italy", "b-1", 4))
    const then = given
      .when(voidCharge("Italy", "b-1"))
      .thenEmits({ events: [refunded("Italy", "b-1", 4)] })
      .thenState((state) => {
        assert.deepStrictEqual(balancesOf(state), { Italy: 10, France: 10, Bank: -20 })
        assert.strictEqual(Accounting.chargeStatus(state!, bill("b-1")), "Refunded")
      })
    const { ledger } = historyOf(...given.steps, then)
    assert.deepStrictEqual(
      ledger.map((e) => e.kind),
      ["Opening", "Opening", "Charge", "Refund"]
    )
    assert.deepStrictEqual(ledger.at(-1)?.billingId, bill("b-1"))
  })

  it("remembers a void that arrives before its charge, without an event", () => {
    accounting
      .given(open(10))
      .when(voidCharge("Italy", "b-1"))
      .thenEmits({ events: [] })
      .thenState((state) =>
        assert.strictEqual(Accounting.chargeStatus(state!, bill("b-1")), "VoidedBeforeCharge")
      )
  })

  it("refuses a charge whose billing id was voided earlier", () => {
    accounting
      .given(open(10), voidCharge("Italy", "b-1"))
      .when(charge("Italy", "b-1", 4))
      .thenEmits({ events: [invoiceFailed("Italy", "b-1", 4, "Voided")] })
      .thenState((state) => {
        assert.deepStrictEqual(balancesOf(state), { Italy: 10, France: 10, Bank: -20 })
        assert.strictEqual(Accounting.chargeStatus(state!, bill("b-1")), "Voided")
      })
  })

  it("remembers a void that arrives before the accounts are opened", () => {
    accounting
      .given(voidCharge("Italy", "b-1"), open(10))
      .when(charge("Italy", "b-1", 4))
      .thenEmits({ events: [invoiceFailed("Italy", "b-1", 4, "Voided")] })
  })

  it("settles a paid charge for good when the nation's next charge arrives: a later void refunds nothing", () => {
    accounting
      .given(open(10), charge("Italy", "b-1", 4), charge("Italy", "b-2", 2))
      .when(voidCharge("Italy", "b-1"))
      .thenNothing()
    // Another nation's charge does not settle it.
    accounting
      .given(open(10), charge("Italy", "b-1", 4), charge("France", "b-2", 2))
      .when(voidCharge("Italy", "b-1"))
      .thenEmits({ events: [refunded("Italy", "b-1", 4)] })
  })

  it("moves no money when voiding a failed charge", () => {
    accounting
      .given(open(1), charge("Italy", "b-1", 4))
      .when(voidCharge("Italy", "b-1"))
      .thenEmits({ events: [] })
      .thenState((state) => {
        assert.deepStrictEqual(balancesOf(state), { Italy: 1, France: 1, Bank: -2 })
        assert.strictEqual(Accounting.chargeStatus(state!, bill("b-1")), "Failed")
      })
  })

  it("changes nothing when voiding twice", () => {
    accounting
      .given(open(10), charge("Italy", "b-1", 4), voidCharge("Italy", "b-1"))
      .when(voidCharge("Italy", "b-1"))
      .thenNothing()
    accounting.given(open(10), voidCharge("Italy", "b-1")).when(voidCharge("Italy", "b-1")).thenNothing()
    accounting.given(voidCharge("Italy", "b-1")).when(voidCharge("Italy", "b-1")).thenNothing()
  })

  it("does not charge again when a refunded charge is redelivered", () => {
    accounting
      .given(open(10), charge("Italy", "b-1", 4), voidCharge("Italy", "b-1"))
      .when(charge("Italy", "b-1", 4))
      .thenNothing()
  })
})

describe("Accounting: deposits", () => {
  it("pays money from the bank to the nation", () => {
    accounting
      .given(open(10))
      .when(deposit("France", 5))
      .thenEmits({
        events: [AccountingMessages.FundsDeposited.make({ gameId, nation: "France", amount: 5 })]
      })
      .thenState((state) => assert.deepStrictEqual(balancesOf(state), { Italy: 10, France: 15, Bank: -25 }))
  })

  it("applies the same deposit message once", () => {
    accounting
      .given(open(10), withId("d-1", deposit("France", 5)))
      .when(withId("d-1", deposit("France", 5)))
      .thenNothing()
  })

  it("applies two deposits with different message ids twice", () => {
    accounting
      .given(open(10), withId("d-1", deposit("France", 5)))
      .when(withId("d-2", deposit("France", 5)))
      .thenState((state) => assert.strictEqual(Accounting.balanceOf(state!, "France"), 20))
  })

  it("refuses a deposit to a nation without an account, once", () => {
    const rejectedDeposit = AccountingMessages.DepositRejected.make({
      gameId,
      nation: "Russia",
      amount: 5,
      reason: "NoAccount"
    })
    accounting
      .given(open(10))
      .when(deposit("Russia", 5))
      .thenEmits({ events: [rejectedDeposit] })
    accounting
      .given(open(10), withId("d-1", deposit("Russia", 5)))
      .when(withId("d-1", deposit("Russia", 5)))
      .thenNothing()
  })
})

describe("Accounting: money stays exact", () => {
  const rejected = (nation: "Italy" | "France", amount: number) =>
    AccountingMessages.DepositRejected.make({ gameId, nation, amount, reason: "BalanceLimit" })

  it("refuses a deposit that would take a balance past the limit, and the books still sum to zero", () => {
    accounting
      .given(open(0), withId("d-1", deposit("Italy", Amount.limit)))
      .when(withId("d-2", deposit("Italy", Amount.limit)))
      .thenEmits({ events: [rejected("Italy", Amount.limit)] })
      .thenState((state) =>
        assert.deepStrictEqual(balancesOf(state), { Italy: Amount.limit, France: 0, Bank: -Amount.limit })
      )
  })

  it("counts paid charges a void could still refund, so a refund cannot pass the limit either", () => {
    accounting
      .given(open(10), charge("Italy", "b-1", 6))
      .when(deposit("Italy", Amount.limit - 5))
      .thenEmits({ events: [rejected("Italy", Amount.limit - 5)] })
    accounting
      .given(open(10), charge("Italy", "b-1", 6), voidCharge("Italy", "b-1"))
      .when(deposit("Italy", Amount.limit - 10))
      .thenEmits({
        events: [
          AccountingMessages.FundsDeposited.make({ gameId, nation: "Italy", amount: Amount.limit - 10 })
        ]
      })
  })

  it("keeps every nation at the limit exact, the bank's balance included", () => {
    accounting
      .given(
        open(Amount.limit, ["Austria-Hungary", "Italy", "France", "Great Britain", "Germany", "Russia"]),
        charge("Italy", "b-1", 6)
      )
      .when(voidCharge("Italy", "b-1"))
      .thenEmits({ events: [refunded("Italy", "b-1", 6)] })
      .thenState((state) => {
        const amounts = Accounting.balances(state!).map((b) => b.amount)
        assert.strictEqual(
          amounts.reduce((a, b) => a + b, 0),
          0
        )
        assert.strictEqual(Accounting.balanceOf(state!, "Bank"), -6 * Amount.limit)
      })
  })
})

describe("Accounting: queries and stored state", () => {
  const given = accounting.given(
    open(5),
    charge("Italy", "b-1", 2),
    charge("France", "b-2", 9),
    voidCharge("Italy", "b-1"),
    voidCharge("France", "b-3"),
    deposit("France", 1)
  )
  const state = given.state!

  it("lists every charge with its outcome, projected from the audit log", () => {
    const history = historyOf(...given.steps)
    assert.deepStrictEqual(history.charges, [
      { billingId: bill("b-1"), nation: "Italy", amount: 2, status: "Refunded" },
      { billingId: bill("b-2"), nation: "France", amount: 9, status: "Failed", reason: "InsufficientFunds" }
    ])
    assert.deepStrictEqual(history.voidedBeforeCharge, [bill("b-3")])
    assert.strictEqual(LedgerProjection.chargeStatus(history, bill("b-3")), "VoidedBeforeCharge")
    assert.strictEqual(LedgerProjection.chargeStatus(history, bill("b-4")), "Unknown")
    assert.strictEqual(Accounting.chargeStatus(state, bill("b-3")), "VoidedBeforeCharge")
    assert.strictEqual(Accounting.chargeStatus(state, bill("b-4")), "Unknown")
  })

  it("keeps balances in the state, and the ledger in the audit log agrees with them", () => {
    assert.deepStrictEqual(Accounting.balances(state), [
      { account: "Italy", amount: 5 },
      { account: "France", amount: 6 },
      { account: "Bank", amount: -11 }
    ])
    const ledger = historyOf(...given.steps).ledger
    assert.deepStrictEqual(
      ledger.map((e) => e.entryId),
      [1, 2, 3, 4, 5]
    )
    assert.deepStrictEqual(Ledger.balances(["Italy", "France"], ledger), Accounting.balances(state))
  })

  it("survives a JSON round trip", () => {
    const json = Schema.encodeSync(AccountingState.AccountingStateFromJson)(state)
    assert.deepStrictEqual(Schema.decodeUnknownSync(AccountingState.AccountingStateFromJson)(json), state)
  })
})
