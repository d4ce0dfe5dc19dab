import { assert, describe, it } from "@effect/vitest"
import { Effect, Random, TestContext } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as Replay from "../../src/commit/Replay.js"
import type { AnyHostDefinition } from "../../src/commit/HostDefinition.js"
import * as TestApp from "../../src/testing/TestApp.js"
import {
  accounting,
  deposit,
  game,
  historyOf,
  layer,
  move,
  type Nations,
  open,
  rondel,
  start,
  toAccounting,
  toRondel
} from "./imperialFixtures.js"

const seed = 20240611
const games = 24
const rounds = 12
const allNations: Nations = ["Austria-Hungary", "Italy", "France", "Great Britain", "Germany", "Russia"]

/** A seeded run: many games at once, free and paid moves, deposits, supersedes (two moves queued back to back). */
const randomRun = Effect.gen(function* () {
  const random = Random.make(seed)
  const pick = <A>(items: ReadonlyArray<A>) =>
    Effect.map(random.nextIntBetween(0, items.length), (i) => items[i]!)
  const ids = Array.from({ length: games }, (_, i) => game(`replay-${i}`))
  const playersOf = new Map<string, Nations>()
  for (const gameId of ids) {
    const count = yield* random.nextIntBetween(1, 4)
    const players = allNations.slice(0, count) as unknown as Nations
    playersOf.set(gameId, players)
    yield* toRondel(start(gameId, players))
    yield* toAccounting(open(gameId, players, yield* random.nextIntBetween(0, 13)))
  }
  for (let round = 0; round < rounds; round++) {
    for (const gameId of ids) {
      const nation = yield* pick(playersOf.get(gameId)!)
      const roll = yield* random.nextIntBetween(0, 10)
      if (roll < 2) yield* toAccounting(deposit(gameId, nation, yield* random.nextIntBetween(1, 6)))
      yield* toRondel(move(gameId, nation, yield* pick(Space.Spaces)))
      if (roll >= 7) yield* toRondel(move(gameId, nation, yield* pick(Space.Spaces)))
    }
    // Settling only every few rounds lets games' flows interleave with each other.
    if (round % 3 === 2) yield* TestApp.settle()
  }
  yield* TestApp.settle()
  return ids
})

const replayEqualsLive = (definition: AnyHostDefinition) =>
  Effect.gen(function* () {
    const host = yield* TestApp.host(definition)
    const keys = yield* host.keys
    const replayed = Replay.replay(definition, yield* TestApp.auditOf(definition.name))
    assert.deepStrictEqual([...replayed.keys()].sort(), [...keys].sort(), `${definition.name}: same keys`)
    for (const key of keys) {
      assert.deepStrictEqual(replayed.get(key), yield* host.state(key), `${definition.name} ${key}`)
    }
    return keys.length
  })

describe("Replay", () => {
  it.effect(
    "rebuilding each host's state from its audit log equals its live state after a randomized run",
    () =>
      Effect.gen(function* () {
        const ids = yield* randomRun

        assert.strictEqual(yield* replayEqualsLive(rondel), games)
        assert.strictEqual(yield* replayEqualsLive(accounting), games)

        // The run must have exercised what makes replay interesting.
        const recorder = yield* TestApp.delivered
        const published = yield* recorder.published()
        const count = (type: string, reason?: string) =>
          published.filter(
            (e) =>
              e.type === type &&
              (reason === undefined || (e.payload as { reason?: string }).reason === reason)
          ).length
        assert.isAbove(count("ActionDetermined"), games)
        assert.isAbove(count("RondelInvoicePaid"), 0)
        assert.isAbove(count("RondelInvoicePaymentFailed", "InsufficientFunds"), 0)
        assert.isAbove(count("MoveToActionSpaceRejected", "Superseded"), 0)
        assert.isAbove(count("RondelChargeRefunded"), 0)
        assert.isAbove(count("FundsDeposited"), 0)
        assert.deepStrictEqual(yield* recorder.deliveryFailures, [])
        assert.deepStrictEqual(yield* recorder.handlingFailures, [])

        // Across contexts, the run converged: nothing pending, money conserved, and exactly the charges Rondel
        // completed a move for are the ones Accounting kept (paid, not refunded).
        const completedBills = new Set(
          (yield* recorder.committed("rondel"))
            .filter((c) => c.consumed.type === "RondelInvoicePaid" && c.stateChanged)
            .map((c) => (c.consumed.payload as { billingId: string }).billingId)
        )
        const keptBills = new Set<string>()
        for (const gameId of ids) {
          const rondelState = (yield* TestApp.stateOf(rondel, gameId))!
          assert.isTrue(
            rondelState.nations.every((n) => n.pending === null),
            `${gameId} has a pending move left`
          )
          const books = (yield* TestApp.stateOf(accounting, gameId))!
          assert.strictEqual(
            Accounting.balances(books).reduce((sum, b) => sum + b.amount, 0),
            0
          )
          for (const charge of (yield* historyOf(gameId)).charges)
            if (charge.status === "Paid") keptBills.add(charge.billingId)
        }
        assert.deepStrictEqual([...keptBills].sort(), [...completedBills].sort())
      }).pipe(Effect.provide(layer()))
  )

  it.effect("Replay.verify: every key of both hosts matches its stored state; a changed state is named", () =>
    Effect.gen(function* () {
      yield* randomRun
      for (const definition of [rondel, accounting] as ReadonlyArray<AnyHostDefinition>) {
        const reports = yield* Replay.verify(definition)
        assert.strictEqual(reports.length, games, definition.name)
        assert.deepStrictEqual(
          reports.filter((r) => r.differences.length > 0 || r.problem !== undefined),
          [],
          definition.name
        )
        assert.isTrue(reports.every((r) => r.entries > 0))
      }
      // One key's stored state altered: exactly that key differs, at the field that changed.
      const key = game("replay-3")
      const log = yield* TestApp.auditOf(rondel.name, key)
      const stored = (yield* TestApp.stateOf(rondel, key))!
      const altered = {
        ...stored,
        nations: stored.nations.map((n, i) => (i === 0 ? { ...n, position: null } : n)) as never
      }
      const [report] = Replay.compare(rondel, log, new Map([[key, altered]]))
      assert.strictEqual(report?.key, key)
      assert.deepStrictEqual(
        report?.differences.map((d) => [d.path, d.stored]),
        [["nations[0].position", null]]
      )
      assert.isNotNull(report?.differences[0]?.replayed)
      // One key's reports only, when asked for.
      assert.deepStrictEqual(
        (yield* Replay.verify(accounting, { keys: [key] })).map((r) => [r.key, r.differences.length]),
        [[key, 0]]
      )
    }).pipe(Effect.provide(layer()))
  )

  it.effect("the same seed gives the same run: identical audit logs", () =>
    Effect.gen(function* () {
      const logOf = Effect.gen(function* () {
        yield* randomRun
        return { rondel: yield* TestApp.auditOf("rondel"), accounting: yield* TestApp.auditOf("accounting") }
      })
      // Each run on a TestClock of its own: the first run's pending payment deadlines (sleeps on the clock) must
      // not change how the second run's fibers interleave.
      const first = yield* Effect.provide(logOf, layer()).pipe(Effect.provide(TestContext.TestContext))
      const second = yield* Effect.provide(logOf, layer()).pipe(Effect.provide(TestContext.TestContext))
      assert.isAbove(first.rondel.length, games * rounds)
      assert.deepStrictEqual(second, first)
    })
  )
})
