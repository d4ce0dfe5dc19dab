import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import * as AccountingState from "../../hosts/accounting/AccountingState.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import { withId } from "../../src/testing/GivenWhenThen.js"
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

const held = (
  type: AccountingMessages.HeldMessageType,
  nation: "Italy" | "France",
  fields: { readonly billingId?: string; readonly amount?: number }
) =>
  AccountingMessages.HeldUntilAccountsOpen.make({
    gameId,
    held: type,
    nation,
    ...(fields.billingId === undefined ? {} : { billingId: bill(fields.billingId) }),
    ...(fields.amount === undefined ? {} : { amount: fields.amount })
  })

describe("Accounting: messages that arrive before OpenAccounts are held, never refused for their order", () => {
  it("holds a charge, reports it as waiting, and pays it when the accounts open", () => {
    const given = accounting.given()
    const first = given
      .when(charge("Italy", "b-1", 4))
      .thenEmits({ events: [held("ChargeMovement", "Italy", { billingId: "b-1", amount: 4 })] })
      .thenState((state) => assert.strictEqual(Accounting.chargeStatus(state!, bill("b-1")), "Waiting"))
    assert.deepStrictEqual(historyOf(first).charges, [
      { billingId: bill("b-1"), nation: "Italy", amount: 4, status: "Waiting" }
    ])

    const waiting = accounting.given(withId("c-1", charge("Italy", "b-1", 4)))
    const then = waiting
      .when(withId("o-1", open(10)))
      .thenEmits({ events: [opened(10), invoicePaid("Italy", "b-1", 4)] })
      .thenState((state) => {
        assert.deepStrictEqual(balancesOf(state), { Italy: 6, France: 10, Bank: -16 })
        assert.deepStrictEqual(state!.held, [])
      })
    const history = historyOf(...waiting.steps, then)
    assert.deepStrictEqual(history.charges, [
      { billingId: bill("b-1"), nation: "Italy", amount: 4, status: "Paid" }
    ])
    assert.deepStrictEqual(
      history.ledger.map((e) => [e.kind, e.from, e.to, e.amount, e.messageId]),
      [
        ["Opening", "Bank", "Italy", 10, "o-1"],
        ["Opening", "Bank", "France", 10, "o-1"],
        ["Charge", "Italy", "Bank", 4, "o-1"]
      ]
    )
  })

  it("applies held charges, voids and deposits in arrival order, each with its usual outcome", () => {
    accounting
      .given(
        charge("Italy", "b-1", 4),
        voidCharge("Italy", "b-1"),
        charge("France", "b-2", 12),
        deposit("France", 5),
        charge("France", "b-3", 12)
      )
      .when(open(10))
      .thenEmits({
        events: [
          opened(10),
          invoicePaid("Italy", "b-1", 4),
          refunded("Italy", "b-1", 4),
          invoiceFailed("France", "b-2", 12, "InsufficientFunds"),
          AccountingMessages.FundsDeposited.make({ gameId, nation: "France", amount: 5 }),
          invoicePaid("France", "b-3", 12)
        ]
      })
      .thenState((state) => assert.deepStrictEqual(balancesOf(state), { Italy: 10, France: 3, Bank: -13 }))
  })

  it("holds the same message once (same id, or a charge's billing id), and applies it once", () => {
    accounting
      .given(withId("c-1", charge("Italy", "b-1", 4)))
      .when(withId("c-1", charge("Italy", "b-1", 4)))
      .thenNothing()
    accounting
      .given(withId("c-1", charge("Italy", "b-1", 4)))
      .when(withId("c-2", charge("Italy", "b-1", 4)))
      .thenNothing()
    accounting
      .given(withId("d-1", deposit("Italy", 4)))
      .when(withId("d-1", deposit("Italy", 4)))
      .thenNothing()
    accounting
      .given(withId("d-1", deposit("Italy", 4)), open(10))
      .when(withId("d-1", deposit("Italy", 4)))
      .thenNothing()
  })

  it("holds a void too, so a charge and its void keep their order whatever overtook them", () => {
    accounting
      .given()
      .when(voidCharge("Italy", "b-1"))
      .thenEmits({ events: [held("VoidCharge", "Italy", { billingId: "b-1" })] })
  })

  it("still refuses, once open, what a human must decide: a nation not in the game", () => {
    accounting
      .given(charge("France", "b-1", 2), deposit("France", 3))
      .when(open(10, ["Italy"]))
      .thenEmits({
        events: [
          opened(10, ["Italy"]),
          invoiceFailed("France", "b-1", 2, "NoAccount"),
          AccountingMessages.DepositRejected.make({
            gameId,
            nation: "France",
            amount: 3,
            reason: "NoAccount"
          })
        ]
      })
  })
})

describe("Accounting: the state stays small however long the game", () => {
  const history = (moves: number) =>
    Array.from({ length: moves }, (_, i) => [
      withId(`c-${i}`, charge(i % 2 === 0 ? "Italy" : "France", `b-${i}`, 1)),
      ...(i % 5 === 0 ? [withId(`d-${i}`, deposit("Italy", 1))] : []),
      ...(i % 7 === 0 ? [withId(`v-${i}`, voidCharge(i % 2 === 0 ? "Italy" : "France", `b-${i}`))] : [])
    ]).flat()

  it("keeps at most one voidable charge per nation and the newest settled charges, early voids and deposit ids", () => {
    const state = accounting.given(open(1_000), ...history(1_000)).state!
    assert.isAtMost(state.voidable.length, 2)
    assert.strictEqual(state.settled.length, AccountingState.recentLimit)
    assert.isAtMost(state.deposits.length, AccountingState.recentLimit)
    assert.deepStrictEqual(state.held, [])
    const bytes = (s: AccountingState.AccountingState) =>
      Schema.encodeSync(AccountingState.AccountingStateFromJson)(s).length
    // Ten times the history, the same size but for longer ids and amounts.
    assert.isAtMost(bytes(state), 1.2 * bytes(accounting.given(open(1_000), ...history(100)).state!))
    assert.isBelow(bytes(state), 4_096)
  })

  it("still recognises a duplicate among the newest charges and deposits", () => {
    accounting
      .given(open(1_000), ...history(40))
      .when(withId("c-30", charge("Italy", "b-30", 1)))
      .thenNothing()
    accounting
      .given(open(1_000), ...history(40))
      .when(withId("d-35", deposit("Italy", 1)))
      .thenNothing()
  })
})
