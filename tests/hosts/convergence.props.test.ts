import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import type * as AccountingState from "../../hosts/accounting/AccountingState.js"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as Rondel from "../../hosts/rondel/Rondel.js"
import type * as RondelState from "../../hosts/rondel/RondelState.js"
import * as GivenWhenThen from "../../src/testing/GivenWhenThen.js"
import {
  type AccountingStep,
  accounting,
  charge,
  deposit,
  historyOf,
  open,
  voidCharge
} from "./accountingFixtures.js"
import { billingIdFor, move, paid, paymentFailed, rondel, start } from "./rondelFixtures.js"

// Convergence: for one game's messages to one host, delivered in any order that keeps each producer's own order
// (what both boundaries guarantee per key), with duplicates (a message delivered again a few deliveries later), the
// host ends with the same balances, positions and outcomes as in-order delivery. Where the rules make the outcome
// depend on the order, the exception is named and tested as such. fast-check prints the seed of a failing run.

/** How many deliveries later a duplicate may arrive: within the ids a state remembers (`recentLimit` is 16). */
const duplicateDistance = 8

/** Lanes of messages, one per producer, merged by `picks`; `duplicates` re-deliver a recent message. */
const interleave = <A>(
  lanes: ReadonlyArray<ReadonlyArray<A>>,
  picks: ReadonlyArray<number>,
  duplicates: ReadonlyArray<{ readonly after: number; readonly back: number }>
): ReadonlyArray<A> => {
  const queues = lanes.map((lane) => [...lane])
  const merged: Array<A> = []
  let p = 0
  while (queues.some((q) => q.length > 0)) {
    const open = queues.filter((q) => q.length > 0)
    merged.push(open[(picks[p++ % Math.max(1, picks.length)] ?? 0) % open.length]!.shift()!)
  }
  const out: Array<A> = []
  merged.forEach((item, i) => {
    out.push(item)
    for (const d of duplicates)
      if (d.after === i) out.push(out[Math.max(0, out.length - 1 - (d.back % duplicateDistance))]!)
  })
  return out
}

const picks = fc.array(fc.nat(), { minLength: 1, maxLength: 60 })
const duplicates = fc.array(fc.record({ after: fc.nat({ max: 60 }), back: fc.nat() }), { maxLength: 8 })

// --- Accounting -----------------------------------------------------------------------------------------------

const accountingPlayers = ["Italy", "France", "Germany"] as const

/** What Rondel sends for one nation's paid moves: charges in order; a supersede voids the previous charge first. */
type Plan = ReadonlyArray<{
  readonly nation: Nation.Nation
  readonly amount: number
  readonly voidPrevious: boolean
}>

const plan: fc.Arbitrary<Plan> = fc.array(
  fc.record({
    nation: fc.constantFrom(...accountingPlayers),
    amount: fc.constantFrom(2, 4, 6),
    voidPrevious: fc.boolean()
  }),
  { maxLength: 30 }
)

/** Rondel's lane: charges and voids as Rondel would send them (a void always after its charge). */
const rondelLane = (moves: Plan): ReadonlyArray<GivenWhenThen.Delivery<Contracts.AccountingInbound>> => {
  const last = new Map<Nation.Nation, string>()
  return moves.flatMap(({ nation, amount, voidPrevious }, i) => {
    const previous = last.get(nation)
    const bill = `b-${i}`
    last.set(nation, bill)
    return [
      ...(voidPrevious && previous !== undefined
        ? [GivenWhenThen.withId(`v-${i}`, voidCharge(nation, previous), i)]
        : []),
      GivenWhenThen.withId(`c-${i}`, charge(nation, bill, amount), i)
    ]
  })
}

const runAccounting = (deliveries: ReadonlyArray<GivenWhenThen.Delivery<Contracts.AccountingInbound>>) => {
  const { state, steps } = accounting.run(deliveries)
  return { state, steps: steps as ReadonlyArray<AccountingStep> }
}

/** What an Accounting run ended with: balances, each charge's fate, every outcome event, the ledger's movements. */
const accountingOutcome = (run: ReturnType<typeof runAccounting>) => {
  const history = historyOf(...run.steps)
  const outcomes = run.steps
    .flatMap((s) => s.decision.events)
    .filter((e) => e._tag !== "HeldUntilAccountsOpen" && e._tag !== "AccountsOpened")
    .map((e) => JSON.stringify(e))
    .sort()
  return {
    balances: run.state === undefined ? [] : Accounting.balances(run.state),
    charges: history.charges.map((c) => [c.billingId, c.status, c.reason ?? ""]).sort(),
    outcomes,
    ledger: history.ledger.map((e) => [e.kind, e.from, e.to, e.amount, e.billingId ?? ""].join(" ")).sort()
  }
}

describe("Convergence: Accounting", () => {
  it.prop(
    "any interleaving of Rondel's lane, the setup and a bank's deposits, with duplicates, ends as in-order delivery",
    [plan, fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 5 }), picks, duplicates],
    ([moves, deposits, order, dups]) => {
      // Enough money that no charge can fail for want of it, whatever the order (see the exception below).
      const setup = [GivenWhenThen.withId("open", open(1_000, [...accountingPlayers]), 0)]
      const bank = deposits.map((amount, i) =>
        GivenWhenThen.withId(`d-${i}`, deposit(accountingPlayers[i % 3]!, amount), i)
      )
      const rondel = rondelLane(moves)
      const inOrder = accountingOutcome(runAccounting([...setup, ...rondel, ...bank]))
      const delivered = runAccounting(interleave([setup, rondel, bank], order, dups))
      assert.deepStrictEqual(accountingOutcome(delivered), inOrder)
      assert.deepStrictEqual(delivered.state?.held, [])
    },
    { fastCheck: { numRuns: 300 } }
  )

  describe("the exception: a charge's outcome may depend on a deposit from another producer", () => {
    it("with too little money, a charge fails or is paid depending on whether a deposit came first", () => {
      const setup = GivenWhenThen.withId("open", open(2, ["Italy"]), 0)
      const topUp = GivenWhenThen.withId("d-1", deposit("Italy", 3), 1)
      const longMove = GivenWhenThen.withId("c-1", charge("Italy", "b-1", 4), 2)
      const depositFirst = accountingOutcome(runAccounting([setup, topUp, longMove]))
      const chargeFirst = accountingOutcome(runAccounting([setup, longMove, topUp]))
      assert.deepStrictEqual(depositFirst.charges, [["b-1", "Paid", ""]])
      assert.deepStrictEqual(chargeFirst.charges, [["b-1", "Failed", "InsufficientFunds"]])
    })

    it.prop(
      "whatever the order, each charge has exactly one outcome and money is conserved",
      [
        plan,
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 5 }),
        fc.integer({ min: 0, max: 8 }),
        picks,
        duplicates
      ],
      ([moves, deposits, balance, order, dups]) => {
        const setup = [GivenWhenThen.withId("open", open(balance, [...accountingPlayers]), 0)]
        const bank = deposits.map((amount, i) =>
          GivenWhenThen.withId(`d-${i}`, deposit(accountingPlayers[i % 3]!, amount), i)
        )
        const run = runAccounting(interleave([setup, rondelLane(moves), bank], order, dups))
        const outcome = accountingOutcome(run)
        assert.strictEqual(outcome.charges.length, moves.length)
        const decided = run.steps
          .flatMap((s) => s.decision.events)
          .filter((e) => e._tag === "RondelInvoicePaid" || e._tag === "RondelInvoicePaymentFailed")
        assert.strictEqual(decided.length, moves.length, "one outcome per charge")
        assert.strictEqual(
          outcome.balances.reduce((sum, b) => sum + b.amount, 0),
          0
        )
        for (const b of outcome.balances) if (b.account !== "Bank") assert.isAtLeast(b.amount, 0)
      },
      { fastCheck: { numRuns: 200 } }
    )
  })
})

// --- Rondel ---------------------------------------------------------------------------------------------------

const rondelPlayers = ["Italy", "France"] as const

type RondelIn = GivenWhenThen.Delivery<Contracts.RondelInbound>

/** A player's moves, and whether Accounting pays each move's charge (decided up front, independent of order). */
const rondelScript = fc.record({
  moves: fc.array(
    fc.record({ nation: fc.constantFrom(...rondelPlayers), space: fc.constantFrom(...Space.Spaces) }),
    {
      maxLength: 25
    }
  ),
  pays: fc.array(fc.boolean(), { minLength: 25, maxLength: 25 })
})

/**
 * Delivers Rondel's two lanes, the front door (starting positions, then moves) and Accounting (answers to charges, in
 * the order charged), choosing by `order` which lane goes next; a move waits while its own nation's payment outcome is
 * in flight (see the exception). `dups` deliver a recent message again.
 */
const runRondel = (
  script: {
    readonly moves: ReadonlyArray<{ nation: Nation.Nation; space: Space.Space }>
    readonly pays: ReadonlyArray<boolean>
  },
  order: ReadonlyArray<number>,
  dups: ReadonlyArray<{ readonly after: number; readonly back: number }>,
  inOrder: boolean
) => {
  const front: Array<RondelIn> = [
    GivenWhenThen.withId("start", start([...rondelPlayers]), 0),
    ...script.moves.map((m, i) => GivenWhenThen.withId(`m-${i}`, move(m.nation, m.space), i + 1))
  ]
  const answers: Array<RondelIn> = []
  const delivered: Array<RondelIn> = []
  let state: RondelState.RondelState | undefined
  const events: Array<Contracts.RondelEvent> = []
  let n = 0
  const deliver = (d: RondelIn) => {
    const step = rondel.apply(state, d)
    state = step.after
    events.push(...step.decision.events)
    delivered.push(d)
    for (const c of step.decision.commands) {
      if (c._tag !== "ChargeMovement") continue
      const index = Number(c.billingId.replace("bill-m-", ""))
      const outcome = script.pays[index % script.pays.length]
        ? paid(c.nation, c.billingId, c.amount)
        : paymentFailed(c.nation, c.billingId, c.amount, "InsufficientFunds")
      answers.push(GivenWhenThen.withId(`${c.billingId}/answer`, outcome, d.occurredAt))
    }
    for (const dup of dups)
      if (dup.after === n)
        deliver0(delivered[Math.max(0, delivered.length - 1 - (dup.back % duplicateDistance))]!)
    n++
  }
  const deliver0 = (d: RondelIn) => {
    const step = rondel.apply(state, d)
    state = step.after
    events.push(...step.decision.events)
  }
  const waiting = (nation: Nation.Nation) =>
    answers.some((a) => (a.message as { nation: Nation.Nation }).nation === nation)
  let p = 0
  while (front.length > 0 || answers.length > 0) {
    const head = front[0]
    const moveAllowed = head !== undefined && (head.message._tag !== "Move" || !waiting(head.message.nation))
    const lanes = [...(moveAllowed ? [front] : []), ...(answers.length > 0 ? [answers] : [])]
    const lane = inOrder
      ? answers.length > 0
        ? answers
        : front
      : lanes[(order[p++ % order.length] ?? 0) % lanes.length]!
    deliver(lane.shift()!)
  }
  return { state: state!, events }
}

/** Per nation, the outcomes Rondel reported, in order (other nations' outcomes may interleave differently). */
const perNation = (events: ReadonlyArray<Contracts.RondelEvent>) =>
  Object.fromEntries(
    rondelPlayers.map((nation) => [
      nation,
      events
        .filter((e) => "nation" in e && e.nation === nation)
        .map((e) => [e._tag, "space" in e ? e.space : "", "reason" in e ? e.reason : ""].join(" "))
    ])
  )

describe("Convergence: Rondel", () => {
  it.prop(
    "any interleaving of the front door and Accounting's answers, with duplicates, ends as in-order delivery",
    [rondelScript, picks, duplicates],
    ([script, order, dups]) => {
      const inOrder = runRondel(script, [0], [], true)
      const shuffled = runRondel(script, order, dups, false)
      assert.deepStrictEqual(Rondel.positions(shuffled.state), Rondel.positions(inOrder.state))
      assert.deepStrictEqual(perNation(shuffled.events), perNation(inOrder.events))
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("the exception: a nation's move that overtakes its own payment outcome supersedes that payment (the rules)", () => {
    const steps = [
      GivenWhenThen.withId("start", start(["Italy"]), 0),
      GivenWhenThen.withId("m-0", move("Italy", "Investor"), 1),
      GivenWhenThen.withId("m-1", move("Italy", "Taxation"), 2)
    ]
    const answer = GivenWhenThen.withId("answer", paid("Italy", billingIdFor("m-1"), 4), 3)
    const next = GivenWhenThen.withId("m-2", move("Italy", "Factory"), 4)
    const answered = rondel.run([...steps, answer, next]).state!
    const overtaken = rondel.run([...steps, next, answer]).state!
    // Paid first: Taxation, then one free step to Factory. Overtaken: Investor → Factory supersedes the payment.
    assert.deepStrictEqual(Rondel.positions(answered)[0]?.current, "Factory")
    assert.deepStrictEqual(Rondel.positions(overtaken)[0]?.pending?.space, "Factory")
    assert.deepStrictEqual(Rondel.positions(overtaken)[0]?.current, "Investor")
  })
})

// A reminder that Accounting holds what comes before OpenAccounts: the same outcome either way.
describe("Convergence: OpenAccounts overtaken", () => {
  it("a charge and a deposit before OpenAccounts end as if they came after it", () => {
    const setup = GivenWhenThen.withId("open", open(10, ["Italy"]), 0)
    const rest = [
      GivenWhenThen.withId("c-1", charge("Italy", "b-1", 4), 1),
      GivenWhenThen.withId("d-1", deposit("Italy", 3), 2)
    ]
    const after = runAccounting([setup, ...rest]).state as AccountingState.AccountingState
    const before = runAccounting([...rest, setup]).state as AccountingState.AccountingState
    assert.deepStrictEqual(Accounting.balances(before), Accounting.balances(after))
  })
})
