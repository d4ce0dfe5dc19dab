import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect, type Layer, type Scope } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import type * as BillingId from "../../hosts/contracts/BillingId.js"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as RondelMessages from "../../hosts/contracts/RondelMessages.js"
import type * as Space from "../../hosts/contracts/Space.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as Application from "../../src/commit/Application.js"
import type { AuditEntry } from "../../src/commit/CommitBoundary.js"
import * as Progress from "../../src/testing/internal/progress.js"

// The Imperial end-to-end contract, written once and run over every boundary: each scenario drives the
// application only through its front doors and asserts on the converged state after `Application.settle`.

/** What a boundary's application layer must provide for the scenarios. */
export type Services = RondelClient.RondelClient | AccountingClient.AccountingClient | Application.Application

/** Boundary-specific help the scenarios need. */
export interface ScenarioOptions<R> {
  /**
   * Keeps the boundary from handing one key's messages to a host while the scope is open, so several messages
   * can be queued before the first is handled. Not needed where sending enqueues at once and handling waits
   * for the sender to yield (memory).
   */
  readonly hold?: (host: string, key: string) => Effect.Effect<void, unknown, Scope.Scope | R>
  /** Run the scenarios concurrently (each on its own application). */
  readonly concurrent?: boolean
  /** How long nothing may move while waiting for convergence (default 30 seconds): progress, not wall time. */
  readonly settleTimeout?: Duration.DurationInput
}

/** Registers the contract scenarios under `name`, each on a fresh application built by `makeLayer`. */
export const scenarios = <R = never, E = never>(
  name: string,
  makeLayer: () => Layer.Layer<Services | R, E>,
  options: ScenarioOptions<R> = {}
) => {
  const run = <A, E2>(effect: Effect.Effect<A, E2, Services | R | Scope.Scope>) =>
    effect.pipe(Effect.scoped, Effect.provide(makeLayer())) as Effect.Effect<A, E2 | E>
  const settle = Progress.settle({ stall: options.settleTimeout ?? "30 seconds" })
  /** Runs `send` with Rondel's handling of `gameId` held, so every message it sends is queued first. */
  const queuedTogether = <A, E2>(gameId: GameId.GameId, send: Effect.Effect<A, E2, Services | R>) =>
    options.hold === undefined ? send : Effect.scoped(Effect.zipRight(options.hold("rondel", gameId), send))

  const setUp = (gameId: GameId.GameId, nations: Nations, startingBalance: number) =>
    Effect.gen(function* () {
      yield* toRondel(RondelMessages.SetToStartingPositions.make({ gameId, nations }))
      yield* toAccounting(AccountingMessages.OpenAccounts.make({ gameId, nations, startingBalance }))
      yield* settle
    })

  const suite = options.concurrent === true ? describe.concurrent : describe
  suite(name, () => {
    it.live("a free move completes at once and determines the action, without any charge", () =>
      run(
        Effect.gen(function* () {
          const gameId = game("free")
          yield* setUp(gameId, ["Germany", "France"], 10)
          yield* toRondel(move(gameId, "Germany", "Investor"))
          yield* settle
          yield* toRondel(move(gameId, "Germany", "ManeuverOne"))
          yield* settle

          assert.deepStrictEqual(yield* positionsOf(gameId), {
            Germany: { current: "ManeuverOne", pending: null },
            France: { current: null, pending: null }
          })
          assert.deepStrictEqual(
            (yield* eventsOf(gameId, "ActionDetermined")).map((e) => [e.nation, e.space, e.action]),
            [
              ["Germany", "Investor", "Investor"],
              ["Germany", "ManeuverOne", "Maneuver"]
            ]
          )
          assert.deepStrictEqual(yield* commandsOf(gameId, "ChargeMovement"), [])
          assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 10, Bank: -20 })
        })
      )
    )

    it.live("a paid move: charge, paid, then the nation moves and its action is determined", () =>
      run(
        Effect.gen(function* () {
          const gameId = game("paid")
          yield* setUp(gameId, ["Germany", "France"], 10)
          yield* toRondel(move(gameId, "Germany", "Investor"))
          yield* settle
          const paidMove = yield* toRondel(move(gameId, "Germany", "Factory"))
          yield* settle

          const bill = billOf(paidMove.messageId)
          assert.deepStrictEqual((yield* positionsOf(gameId)).Germany, { current: "Factory", pending: null })
          assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 6, France: 10, Bank: -16 })
          assert.deepStrictEqual(yield* chargesOf(gameId), [[bill, "Germany", 4, "Paid"]])
          // The flow in commit order: each step caused by the one before, all correlated with the Move.
          const flow = (yield* auditOfGame(gameId)).filter(
            (entry) => entry.message.correlationId === paidMove.messageId
          )
          assert.deepStrictEqual(
            flow.map((e) => [e.host, e.message.type, [...e.events, ...e.commands].map((m) => m.type)]),
            [
              ["rondel", "Move", ["MovementAwaitingPayment", "ChargeMovement"]],
              ["accounting", "ChargeMovement", ["RondelInvoicePaid"]],
              ["rondel", "RondelInvoicePaid", ["ActionDetermined"]]
            ]
          )
          assert.strictEqual(flow[1]!.message.causationId, flow[0]!.message.messageId)
          assert.strictEqual(flow[2]!.message.causationId, flow[1]!.message.messageId)
          assert.deepStrictEqual(
            (yield* eventsOf(gameId, "MovementAwaitingPayment")).map((e) => [
              e.from,
              e.space,
              e.amount,
              e.billingId
            ]),
            [["Investor", "Factory", 4, bill]]
          )
        })
      )
    )

    it.live("a paid move the nation cannot afford is rejected and the nation keeps its position", () =>
      run(
        Effect.gen(function* () {
          const gameId = game("broke")
          yield* setUp(gameId, ["Germany", "France"], 3)
          yield* toRondel(move(gameId, "Germany", "Investor"))
          yield* settle
          const tooDear = yield* toRondel(move(gameId, "Germany", "ProductionTwo"))
          yield* settle

          assert.deepStrictEqual((yield* positionsOf(gameId)).Germany, { current: "Investor", pending: null })
          assert.deepStrictEqual(
            (yield* eventsOf(gameId, "MoveToActionSpaceRejected")).map((e) => [e.nation, e.space, e.reason]),
            [["Germany", "ProductionTwo", "PaymentFailed"]]
          )
          assert.deepStrictEqual(
            (yield* eventsOf(gameId, "RondelInvoicePaymentFailed")).map((e) => [
              e.billingId,
              e.amount,
              e.reason
            ]),
            [[billOf(tooDear.messageId), 6, "InsufficientFunds"]]
          )
          assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 3, France: 3, Bank: -6 })
          assert.strictEqual((yield* eventsOf(gameId, "ActionDetermined")).length, 1)
        })
      )
    )

    it.live(
      "a free move supersedes a pending paid move Accounting already paid: the old charge is refunded",
      () =>
        run(
          Effect.gen(function* () {
            const gameId = game("supersede-free")
            yield* setUp(gameId, ["Germany", "France"], 10)
            yield* toRondel(move(gameId, "Germany", "Investor"))
            yield* settle
            // Rondel gets both moves before it handles the first, so the second always finds the first pending;
            // Accounting gets the charge before the void (same game, same order), so it has paid when the void comes.
            const paid = yield* queuedTogether(
              gameId,
              Effect.zipLeft(
                toRondel(move(gameId, "Germany", "ProductionTwo")),
                toRondel(move(gameId, "Germany", "Import"))
              )
            )
            yield* settle

            const bill = billOf(paid.messageId)
            assert.deepStrictEqual((yield* positionsOf(gameId)).Germany, { current: "Import", pending: null })
            assert.deepStrictEqual(
              (yield* eventsOf(gameId, "MoveToActionSpaceRejected")).map((e) => [e.space, e.reason]),
              [["ProductionTwo", "Superseded"]]
            )
            assert.deepStrictEqual(
              (yield* commandsOf(gameId, "VoidCharge")).map((c) => c.billingId),
              [bill]
            )
            assert.deepStrictEqual(yield* chargesOf(gameId), [[bill, "Germany", 6, "Refunded"]])
            assert.deepStrictEqual(
              (yield* ledgerOf(gameId)).map((e) => [e.kind, e.from, e.to, e.amount, e.billingId]),
              [
                ["Charge", "Germany", "Bank", 6, bill],
                ["Refund", "Bank", "Germany", 6, bill]
              ]
            )
            assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 10, Bank: -20 })
            // Accounting's confirmation of the superseded charge reached Rondel late and changed nothing.
            const late = (yield* auditOf("rondel", gameId)).filter(
              (e) => e.message.type === "RondelInvoicePaid"
            )
            assert.deepStrictEqual(
              late.map((e) => [e.stateChanged, e.events.length, e.commands.length]),
              [[false, 0, 0]]
            )
            assert.deepStrictEqual(
              (yield* eventsOf(gameId, "ActionDetermined")).map((e) => e.space),
              ["Investor", "Import"]
            )
          })
        )
    )

    it.live(
      "a paid move supersedes a pending paid move: the first is refunded, only the second is paid",
      () =>
        run(
          Effect.gen(function* () {
            const gameId = game("supersede-paid")
            yield* setUp(gameId, ["Germany", "France"], 10)
            yield* toRondel(move(gameId, "Germany", "Investor"))
            yield* settle
            const [first, second] = yield* queuedTogether(
              gameId,
              Effect.all([
                toRondel(move(gameId, "Germany", "ProductionTwo")),
                toRondel(move(gameId, "Germany", "Taxation"))
              ])
            )
            yield* settle

            const firstBill = billOf(first.messageId)
            const secondBill = billOf(second.messageId)
            assert.deepStrictEqual((yield* positionsOf(gameId)).Germany, {
              current: "Taxation",
              pending: null
            })
            assert.deepStrictEqual(yield* chargesOf(gameId), [
              [firstBill, "Germany", 6, "Refunded"],
              [secondBill, "Germany", 2, "Paid"]
            ])
            assert.deepStrictEqual(
              (yield* eventsOf(gameId, "RondelChargeRefunded")).map((e) => [e.billingId, e.amount]),
              [[firstBill, 6]]
            )
            assert.deepStrictEqual(
              (yield* eventsOf(gameId, "MoveToActionSpaceRejected")).map((e) => [e.space, e.reason]),
              [["ProductionTwo", "Superseded"]]
            )
            assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 8, France: 10, Bank: -18 })
          })
        )
    )

    it.live("a move superseding a charge that then fails: nothing is paid, nothing refunded", () =>
      run(
        Effect.gen(function* () {
          const gameId = game("supersede-failing")
          yield* setUp(gameId, ["Germany", "France"], 3)
          yield* toRondel(move(gameId, "Germany", "Investor"))
          yield* settle
          const tooDear = yield* queuedTogether(
            gameId,
            Effect.zipLeft(
              toRondel(move(gameId, "Germany", "ProductionTwo")),
              toRondel(move(gameId, "Germany", "Import"))
            )
          )
          yield* settle

          const bill = billOf(tooDear.messageId)
          assert.deepStrictEqual((yield* positionsOf(gameId)).Germany, { current: "Import", pending: null })
          assert.deepStrictEqual(yield* chargesOf(gameId), [[bill, "Germany", 6, "Failed"]])
          // Only the supersede rejects the old target; the late failure finds nothing pending.
          assert.deepStrictEqual(
            (yield* eventsOf(gameId, "MoveToActionSpaceRejected")).map((e) => [e.space, e.reason]),
            [["ProductionTwo", "Superseded"]]
          )
          assert.deepStrictEqual(yield* eventsOf(gameId, "RondelChargeRefunded"), [])
          assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 3, France: 3, Bank: -6 })
        })
      )
    )

    it.live("sending every message of a game again, of every type, with its message id changes nothing", () =>
      run(
        Effect.gen(function* () {
          const gameId = game("duplicates")
          yield* setUp(gameId, ["Germany", "France"], 4)
          yield* toAccounting(AccountingMessages.Deposit.make({ gameId, nation: "France", amount: 3 }))
          yield* toRondel(move(gameId, "Germany", "Investor"))
          yield* toRondel(move(gameId, "France", "Investor"))
          yield* settle
          const paid = yield* toRondel(move(gameId, "Germany", "Taxation")) // 4 steps, 2M: paid
          yield* settle
          // Its deadline comes after the payment (it lost the race with its cancel): it changes nothing. Sent by
          // hand, as the deployment's deadline is far longer than this scenario.
          yield* Effect.flatMap(Application.Application, (app) =>
            app.hosts.get("rondel")!.sendWire({
              type: "PaymentDeadline",
              version: 1,
              payload: RondelMessages.PaymentDeadline.make({
                gameId,
                nation: "Germany",
                billingId: `bill-${paid.messageId}` as BillingId.BillingId
              })
            })
          )
          yield* toRondel(move(gameId, "Germany", "ProductionOne")) // 6 steps, 6M: Germany has 2M, fails
          yield* settle
          yield* queuedTogether(
            gameId,
            Effect.zip(
              toRondel(move(gameId, "France", "ProductionTwo")), // 6 steps, 6M: pending...
              toRondel(move(gameId, "France", "Import")) // ... superseded: void, refund
            )
          )
          yield* settle

          const handled = yield* auditOfGame(gameId)
          assert.deepStrictEqual(
            [...new Set(handled.map((e) => e.message.type))].sort(),
            [...RondelHost.definition.consumes, ...AccountingHost.definition.consumes].sort(),
            "the scenario must exercise every message type both hosts consume"
          )
          const before = yield* snapshot(gameId)
          const seen = new Set(handled.map((e) => `${e.host}/${e.seq}`))

          const app = yield* Application.Application
          for (const entry of handled) {
            const { messageId, causationId, correlationId, type, version, payload } = entry.message
            yield* app.hosts
              .get(entry.host)!
              .sendWire({ type, version, payload }, { messageId, causationId, correlationId })
          }
          yield* settle

          assert.deepStrictEqual(yield* snapshot(gameId), before)
          const again = (yield* auditOfGame(gameId)).filter((e) => !seen.has(`${e.host}/${e.seq}`))
          for (const entry of again) {
            assert.isFalse(entry.stateChanged, `${entry.message.type} changed state again`)
            assert.deepStrictEqual(
              [...entry.events, ...entry.commands],
              [],
              `${entry.message.type} sent again`
            )
          }
          assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 2, France: 7, Bank: -9 })
        })
      )
    )

    it.live("the same command sent twice back to back with one message id is applied once", () =>
      run(
        Effect.gen(function* () {
          const gameId = game("send-twice")
          yield* setUp(gameId, ["Germany", "France"], 10)
          yield* toRondel(move(gameId, "Germany", "Investor"))
          yield* settle
          const app = yield* Application.Application
          const rondel = app.host(RondelHost.definition)
          const accounting = app.host(AccountingHost.definition)
          const wireMove = { type: "Move", version: 1, payload: move(gameId, "Germany", "Factory") }
          const wireDeposit = {
            type: "Deposit",
            version: 1,
            payload: AccountingMessages.Deposit.make({ gameId, nation: "France", amount: 5 })
          }
          const first = yield* rondel.sendWire(wireMove)
          yield* rondel.sendWire(wireMove, { messageId: first.messageId })
          const firstDeposit = yield* accounting.sendWire(wireDeposit)
          yield* accounting.sendWire(wireDeposit, { messageId: firstDeposit.messageId })
          yield* settle

          assert.deepStrictEqual(
            (yield* commandsOf(gameId, "ChargeMovement")).map((c) => c.billingId),
            [billOf(first.messageId)]
          )
          assert.strictEqual((yield* eventsOf(gameId, "FundsDeposited")).length, 1)
          assert.deepStrictEqual((yield* positionsOf(gameId)).Germany, { current: "Factory", pending: null })
          assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 6, France: 15, Bank: -21 })
        })
      )
    )

    it.live("moves for an unknown game or a nation not in the game are rejected with a reason", () =>
      run(
        Effect.gen(function* () {
          const gameId = game("known")
          const unknown = game("unknown")
          yield* setUp(gameId, ["Germany", "France"], 10)
          yield* toRondel(move(unknown, "Germany", "Investor"))
          yield* toRondel(move(gameId, "Russia", "Investor"))
          yield* toAccounting(AccountingMessages.Deposit.make({ gameId, nation: "Russia", amount: 5 }))
          yield* settle

          assert.deepStrictEqual(
            (yield* eventsOf(unknown, "MoveToActionSpaceRejected")).map((e) => [e.nation, e.space, e.reason]),
            [["Germany", "Investor", "UnknownGame"]]
          )
          assert.isUndefined(yield* Effect.flatMap(RondelClient.RondelClient, (r) => r.positions(unknown)))
          assert.deepStrictEqual(
            (yield* eventsOf(gameId, "MoveToActionSpaceRejected")).map((e) => [e.nation, e.space, e.reason]),
            [["Russia", "Investor", "NationNotInGame"]]
          )
          assert.deepStrictEqual(
            (yield* eventsOf(gameId, "DepositRejected")).map((e) => [e.nation, e.amount, e.reason]),
            [["Russia", 5, "NoAccount"]]
          )
          assert.deepStrictEqual(yield* positionsOf(gameId), {
            Germany: { current: null, pending: null },
            France: { current: null, pending: null }
          })
          assert.deepStrictEqual(yield* balancesOf(gameId), { Germany: 10, France: 10, Bank: -20 })
          assert.deepStrictEqual(yield* eventsOf(gameId, "ActionDetermined"), [])
        })
      )
    )
  })
}

// internal

type Nations = readonly [Nation.Nation, ...Array<Nation.Nation>]

/** Unique per run, so scenarios never see each other's games even on a shared database. */
const runId = Math.random().toString(36).slice(2, 8)
const game = (name: string): GameId.GameId => GameId.GameId.make(`contract-${name}-${runId}`)

const billOf = (messageId: string) => `bill-${messageId}` as BillingId.BillingId

const move = (gameId: GameId.GameId, nation: Nation.Nation, space: Space.Space) =>
  RondelMessages.Move.make({ gameId, nation, space })

const toRondel = (command: RondelClient.RondelCommand) =>
  Effect.flatMap(RondelClient.RondelClient, (rondel) => rondel.send(command))

const toAccounting = (command: AccountingClient.AccountingCommand) =>
  Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.send(command))

const positionsOf = (gameId: GameId.GameId) =>
  Effect.map(
    Effect.flatMap(RondelClient.RondelClient, (rondel) => rondel.positions(gameId)),
    (positions) =>
      Object.fromEntries(
        (positions ?? []).map((p) => [
          p.nation,
          { current: p.current, pending: p.pending === null ? null : p.pending.space }
        ])
      )
  )

const balancesOf = (gameId: GameId.GameId) =>
  Effect.map(
    Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.balances(gameId)),
    (balances) => Object.fromEntries((balances ?? []).map((b) => [b.account, b.amount]))
  )

const chargesOf = (gameId: GameId.GameId) =>
  Effect.map(
    Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.charges(gameId)),
    (charges) => charges.map((c) => [c.billingId, c.nation, c.amount, c.status])
  )

/** Ledger entries other than the opening balances. */
const ledgerOf = (gameId: GameId.GameId) =>
  Effect.map(
    Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.ledger(gameId)),
    (entries) => entries.filter((e) => e.kind !== "Opening")
  )

const snapshot = (gameId: GameId.GameId) =>
  Effect.all({
    positions: Effect.flatMap(RondelClient.RondelClient, (rondel) => rondel.positions(gameId)),
    balances: Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.balances(gameId)),
    ledger: Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.ledger(gameId)),
    charges: Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.charges(gameId))
  })

const auditOf = (host: string, gameId: GameId.GameId) =>
  Effect.flatMap(Application.Application, (app) => app.hosts.get(host)!.audit(gameId))

/** Both hosts' audit entries for a game, merged in causal order. */
const auditOfGame = (gameId: GameId.GameId) =>
  Effect.map(
    Effect.all([auditOf("rondel", gameId), auditOf("accounting", gameId)]),
    ([rondel, accounting]): ReadonlyArray<AuditEntry> => mergeByCausality([rondel, accounting])
  )

/** Every message of one type the game's commits produced (events and commands), in commit order. */
const producedOf = <T extends Contracts.Message["_tag"]>(gameId: GameId.GameId, type: T) =>
  Effect.map(auditOfGame(gameId), (entries) =>
    entries
      .flatMap((e) => [...e.events, ...e.commands])
      .filter((m) => m.type === type)
      .map((m) => m.payload as Extract<Contracts.Message, { readonly _tag: T }>)
  )
const eventsOf = producedOf
const commandsOf = producedOf

/**
 * Merges the hosts' audit logs (each in its own commit order) so that every entry comes after the entry that
 * produced its message; otherwise the earlier commit time goes first. Commit times alone cannot order them
 * (millisecond ties in memory, transaction start times in Postgres).
 */
const mergeByCausality = (logs: ReadonlyArray<ReadonlyArray<AuditEntry>>): ReadonlyArray<AuditEntry> => {
  const producerOf = new Map<string, { readonly log: number; readonly index: number }>()
  logs.forEach((log, l) => {
    log.forEach((entry, index) => {
      for (const m of [...entry.events, ...entry.commands]) producerOf.set(m.messageId, { log: l, index })
    })
  })
  const next = logs.map(() => 0)
  const out: Array<AuditEntry> = []
  const placeUpTo = (l: number, index: number): void => {
    while (next[l]! <= index) {
      const entry = logs[l]![next[l]!]!
      const producer = producerOf.get(entry.message.messageId)
      if (producer !== undefined && producer.log !== l) placeUpTo(producer.log, producer.index)
      out.push(entry)
      next[l] = next[l]! + 1
    }
  }
  while (true) {
    let pick = -1
    logs.forEach((log, l) => {
      const candidate = log[next[l]!]
      if (candidate === undefined) return
      if (pick < 0 || candidate.committedAt < logs[pick]![next[pick]!]!.committedAt) pick = l
    })
    if (pick < 0) return out
    placeUpTo(pick, next[pick]!)
  }
}
