import * as Accounting from "../../hosts/accounting/Accounting.js"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import * as LedgerProjection from "../../hosts/accounting/LedgerProjection.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import * as Nation from "../../hosts/contracts/Nation.js"
import * as RondelMessages from "../../hosts/contracts/RondelMessages.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as RondelState from "../../hosts/rondel/RondelState.js"
import type { AuditEntry } from "../../src/commit/CommitBoundary.js"
import * as Simulation from "../../src/testing/Simulation.js"

// Imperial's rondel under the simulator: a seeded workload of games, free and paid moves, deposits, supersedes and
// duplicate sends, and the properties that must survive crashes, duplicates and reordering.

const rondel = RondelHost.definition
const accounting = AccountingHost.definition

type Nations = readonly [Nation.Nation, ...Array<Nation.Nation>]

/** A seeded Imperial workload: 1–3 games, then a mix of moves, deposits, supersedes and duplicate sends. */
export const workload: Simulation.Workload = (rng) => {
  const items: Array<Simulation.Submission> = []
  const games: Array<{ readonly gameId: GameId.GameId; readonly nations: Nations }> = []
  const gameCount = rng.int(1, 4)
  for (let g = 1; g <= gameCount; g++) {
    const gameId = GameId.GameId.make(`g${g}`)
    const pool = [...Nation.Nations]
    const nations: Array<Nation.Nation> = []
    const count = rng.int(1, 5)
    for (let n = 0; n < count; n++) nations.push(pool.splice(rng.int(0, pool.length), 1)[0]!)
    const players = nations as unknown as Nations
    games.push({ gameId, nations: players })
    items.push(
      Simulation.send(rondel, RondelMessages.SetToStartingPositions.make({ gameId, nations: players }))
    )
    items.push(
      Simulation.send(
        accounting,
        AccountingMessages.OpenAccounts.make({ gameId, nations: players, startingBalance: rng.int(0, 13) })
      )
    )
  }
  const move = (gameId: GameId.GameId, nation: Nation.Nation) =>
    Simulation.send(rondel, RondelMessages.Move.make({ gameId, nation, space: rng.pick(Space.Spaces) }))
  const rounds = rng.int(6, 25)
  for (let round = 0; round < rounds; round++) {
    const { gameId, nations } = rng.pick(games)
    const nation = rng.pick(nations)
    const roll = rng.next()
    if (roll < 0.12) {
      items.push(
        Simulation.send(
          accounting,
          AccountingMessages.Deposit.make({ gameId, nation, amount: rng.int(1, 7) })
        )
      )
    } else if (roll < 0.24) {
      // A supersede: a second move right behind the first, often while the first waits for its payment.
      items.push(move(gameId, nation), move(gameId, nation))
    } else if (roll < 0.32 && items.length > 0) {
      // A client retrying: the very same command (same message id) sent again.
      items.push(rng.pick(items))
    } else if (roll < 0.35) {
      const outsider = Nation.Nations.find((n) => !nations.includes(n)) ?? nation
      items.push(move(rng.chance(0.5) ? GameId.GameId.make("nowhere") : gameId, outsider))
    } else {
      items.push(move(gameId, nation))
    }
  }
  return items
}

/** Money is conserved: balances sum to zero, no purse goes negative, and the ledger agrees with the charges. */
export const moneyConserved = Simulation.invariant("money is conserved", (world) => {
  for (const [gameId, books] of Simulation.statesOf(world, accounting)) {
    const balances = Accounting.balances(books)
    const total = balances.reduce((sum, b) => sum + b.amount, 0)
    if (total !== 0) return `${gameId}: balances sum to ${total}`
    const negative = balances.find((b) => b.account !== "Bank" && b.amount < 0)
    if (negative !== undefined) return `${gameId}: ${negative.account} has ${negative.amount}M`
    // The history is in the audit log; the state keeps only the balances.
    const history = LedgerProjection.project(world.audit(accounting, gameId))
    const sum = (kind: string) =>
      history.ledger.filter((e) => e.kind === kind).reduce((acc, e) => acc + e.amount, 0)
    const purses = balances.filter((b) => b.account !== "Bank").reduce((acc, b) => acc + b.amount, 0)
    const kept = history.charges.filter((c) => c.status === "Paid").reduce((acc, c) => acc + c.amount, 0)
    const expected = sum("Opening") + sum("Deposit") - kept
    if (purses !== expected) {
      return `${gameId}: purses hold ${purses}M but openings + deposits − kept charges = ${expected}M`
    }
  }
})

/** No billing id is charged twice net: at most one charge entry, at most one refund, net 0 or the amount. */
export const noDoubleCharge = Simulation.invariant("no billing id charged twice net", (world) => {
  for (const gameId of world.keys(accounting)) {
    const books = LedgerProjection.project(world.audit(accounting, gameId))
    const ids = new Set<string>()
    for (const charge of books.charges) {
      if (ids.has(charge.billingId)) return `${gameId}: charge ${charge.billingId} recorded twice`
      ids.add(charge.billingId)
    }
    const byBill = new Map<string, { charged: number; refunded: number; entries: number; refunds: number }>()
    for (const entry of books.ledger) {
      if (entry.billingId === undefined) continue
      const bill = byBill.get(entry.billingId) ?? { charged: 0, refunded: 0, entries: 0, refunds: 0 }
      if (entry.kind === "Charge") {
        bill.charged += entry.amount
        bill.entries++
      } else if (entry.kind === "Refund") {
        bill.refunded += entry.amount
        bill.refunds++
      }
      byBill.set(entry.billingId, bill)
    }
    for (const [billingId, bill] of byBill) {
      const charge = books.charges.find((c) => c.billingId === billingId)
      const net = bill.charged - bill.refunded
      if (bill.entries > 1 || bill.refunds > bill.entries || (net !== 0 && net !== charge?.amount)) {
        return `${gameId}: ${billingId} charged ${bill.entries}× (${bill.charged}M), refunded ${bill.refunds}× (${bill.refunded}M)`
      }
    }
  }
})

/** Positions are valid: nations once each, a pending move starts on the wheel 4–6 steps away at the right price. */
export const positionsValid = Simulation.invariant("positions valid", (world) => {
  for (const [gameId, state] of Simulation.statesOf(world, rondel)) {
    const names = state.nations.map((n) => n.nation)
    if (new Set(names).size !== names.length) return `${gameId}: a nation appears twice`
    if (new Set(state.recentMoves).size !== state.recentMoves.length)
      return `${gameId}: a move id handled twice`
    if (state.recentMoves.length > RondelState.recentLimit) return `${gameId}: more move ids than the bound`
    for (const entry of state.nations) {
      if (entry.position !== null && !Space.Spaces.includes(entry.position))
        return `${gameId}: ${entry.nation} on ${entry.position}`
      const pending = entry.pending
      if (pending === null) continue
      if (entry.position === null) return `${gameId}: ${entry.nation} pays for a first move`
      const steps = Space.clockwiseSteps(entry.position, pending.space)
      if (steps < 4 || steps > 6 || pending.amount !== (steps - 3) * 2) {
        return `${gameId}: ${entry.nation} pending ${entry.position} → ${pending.space} (${steps} steps) for ${pending.amount}M`
      }
    }
  }
})

/** Per-key order is respected: Accounting never sees a charge's void before the charge (both come from one game). */
export const perKeyOrder = Simulation.invariant(
  "per-key order respected (no void before its charge)",
  (world) => {
    for (const gameId of world.keys(accounting)) {
      // A void whose charge never comes (lost: the boundary's own check sees that; or never sent) is out of order
      // with nothing; one whose charge comes after it is.
      const voided = new Set<string>()
      for (const entry of world.audit(accounting, gameId)) {
        const billingId = billingOf(entry.message)
        if (entry.message.type === "VoidCharge") voided.add(billingId)
        if (entry.message.type === "ChargeMovement" && voided.has(billingId)) {
          return `${gameId}: VoidCharge ${billingId} handled before its ChargeMovement`
        }
      }
    }
  }
)

/**
 * Every paid move ends completed or rejected, exactly once, and both contexts agree: Accounting keeps exactly the
 * charges whose move Rondel completed.
 */
export const paidMovesEnd = Simulation.atConvergence(
  "every paid move ends completed or rejected",
  (world) => {
    for (const [gameId, state] of Simulation.statesOf(world, rondel)) {
      const stuck = state.nations.find((n) => n.pending !== null)
      if (stuck !== undefined) {
        return `${gameId}: ${stuck.nation}'s move to ${stuck.pending!.space} (${stuck.pending!.billingId}) is still pending`
      }
      const log = world.audit(rondel, gameId)
      const books = LedgerProjection.project(world.audit(accounting, gameId))
      for (const awaiting of eventsOf(log, "MovementAwaitingPayment")) {
        const billingId = billingOf(awaiting)
        const completed = outcomes(log, "RondelInvoicePaid", billingId)
        const failed = outcomes(log, "RondelInvoicePaymentFailed", billingId)
        const superseded = log.filter((e) =>
          e.commands.some((c) => c.type === "VoidCharge" && billingOf(c) === billingId)
        ).length
        if (completed + failed + superseded !== 1) {
          return `${gameId}: ${billingId} completed ${completed}×, failed ${failed}×, superseded ${superseded}×`
        }
        const status = LedgerProjection.chargeStatus(books, billingId as never)
        if ((completed === 1) !== (status === "Paid")) {
          return `${gameId}: Rondel ${completed === 1 ? "completed" : "did not complete"} ${billingId} but Accounting says ${status}`
        }
      }
    }
  }
)

/** Every Imperial invariant. */
export const invariants = [moneyConserved, noDoubleCharge, positionsValid, perKeyOrder, paidMovesEnd]

/** The Imperial simulation (optionally over a deliberately broken store). */
export const options = (broken?: Simulation.Broken): Simulation.SimulationOptions => ({
  hosts: [rondel, accounting],
  workload,
  invariants,
  ...(broken === undefined ? {} : { store: { broken } })
})

// internal

const billingOf = (envelope: { readonly payload: unknown }): string =>
  (envelope.payload as { readonly billingId: string }).billingId

const eventsOf = (log: ReadonlyArray<AuditEntry>, type: string) =>
  log.flatMap((entry) => entry.events.filter((event) => event.type === type))

const outcomes = (log: ReadonlyArray<AuditEntry>, type: string, billingId: string): number =>
  log.filter((e) => e.message.type === type && e.stateChanged && billingOf(e.message) === billingId).length
