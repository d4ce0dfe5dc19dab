import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { events, results, run, step } from "./support.js"

// Messages that overtake each other heal themselves: a charge sent before its game's accounts are opened waits
// for them; `replay` rebuilds every game's state from its audit log and finds it equal to the stored one.

describe("sandbox JSON mode: out of order, and replay", () => {
  it.live("a charge sent before OpenAccounts is held, then paid when the accounts open; replay matches", () =>
    Effect.gen(function* () {
      const out = yield* run([
        `send accounting ChargeMovement {"gameId":"game-7","nation":"Germany","billingId":"bill-early","amount":4}`,
        `send accounting OpenAccounts {"gameId":"game-7","nations":["Germany","Italy"],"startingBalance":10}`,
        "use game-7",
        "balances",
        "charges",
        "replay",
        "replay --game game-7",
        "replay --game nowhere",
        "replay game-7"
      ])
      assert.deepInclude(events(step(out, "send", 0).events, "HeldUntilAccountsOpen")[0], {
        gameId: "game-7",
        held: "ChargeMovement",
        billingId: "bill-early"
      })
      assert.deepInclude(events(step(out, "send", 1).events, "RondelInvoicePaid")[0], {
        gameId: "game-7",
        nation: "Germany",
        billingId: "bill-early",
        amount: 4
      })
      assert.deepStrictEqual(
        step(out, "balances").result.balances.map((b: { account: string; amount: number }) => [
          b.account,
          b.amount
        ]),
        [
          ["Germany", 6],
          ["Italy", 10],
          ["Bank", -16]
        ]
      )
      assert.deepStrictEqual(step(out, "charges").result.charges, [
        { billingId: "bill-early", nation: "Germany", amount: 4, status: "Paid" }
      ])
      const everyGame = step(out, "replay", 0).result.games
      assert.deepStrictEqual(
        everyGame.map((g: { host: string; gameId: string; matches: boolean }) => [
          g.host,
          g.gameId,
          g.matches
        ]),
        [
          ["rondel", "game-7", true],
          ["accounting", "game-7", true]
        ]
      )
      assert.deepStrictEqual(step(out, "replay", 1).result.games, everyGame)
      assert.deepStrictEqual(step(out, "replay", 2).result.games, [
        { host: "rondel", gameId: "nowhere", entries: 0, matches: true, differences: [] },
        { host: "accounting", gameId: "nowhere", entries: 0, matches: true, differences: [] }
      ])
      assert.deepInclude(results(out).at(-1), { ok: false, command: "replay" })
    })
  )
})
