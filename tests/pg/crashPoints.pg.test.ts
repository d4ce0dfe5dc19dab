import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FiberId } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Faults from "../../src/commit/Faults.js"
import {
  forwardedAgain,
  assertConverged,
  audit,
  balancesOf,
  envelopeOf,
  eventually,
  game,
  inbox,
  killed,
  move,
  type Nations,
  open,
  outbox,
  positionsOf,
  setting,
  settle,
  startGame,
  toAccounting,
  toRondel
} from "./imperialPg.js"

// A paid move (Germany: Investor -> Factory, 4M) with a crash at each point of its way through the durable
// boundary. Whatever the point, afterwards every committed message is delivered, none is applied twice, and
// positions and balances are exactly those of the move done once.

const nations: Nations = ["Germany", "France"]

/** Starting positions, accounts and Germany's free first move to Investor. */
const setUp = (gameId: ReturnType<typeof game>) =>
  Effect.gen(function* () {
    yield* toRondel(startGame(gameId, nations))
    yield* toAccounting(open(gameId, nations, 10))
    yield* toRondel(move(gameId, "Germany", "Investor"))
  })

/** The paid move happened exactly once, and everything else converged. */
const assertPaidOnce = (sql: Effect.Effect.Success<typeof setting>["sql"], gameId: string) =>
  Effect.gen(function* () {
    assert.deepStrictEqual(yield* positionsOf(sql, gameId), {
      Germany: { current: "Factory", pending: null },
      France: { current: null, pending: null }
    })
    assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 6, France: 10, Bank: -16 })
    const charges = (yield* audit(sql, "accounting")).filter((e) => e.type === "ChargeMovement")
    assert.strictEqual(charges.filter((e) => e.state_changed).length, 1)
    yield* assertConverged(sql)
  })

const chargeRows = (sql: Effect.Effect.Success<typeof setting>["sql"]) =>
  Effect.map(inbox(sql, "accounting"), (rows) => rows.filter((r) => r.type === "ChargeMovement"))

describe.concurrent("Acknowledged means durable", () => {
  it.scopedLive(
    "send returns once the inbox row is stored: an app torn down before handling loses nothing",
    () =>
      Effect.gen(function* () {
        const { sql, app } = yield* setting
        // The hosts run (their front doors work) but nothing is delivered to them.
        const a = yield* app({ deliver: false })
        const gameId = game("ack-durable")
        const acknowledged: Array<string> = []
        for (const command of [
          toRondel(startGame(gameId, nations)),
          toAccounting(open(gameId, nations, 10)),
          toRondel(move(gameId, "Germany", "Investor")),
          toRondel(move(gameId, "Germany", "Factory"))
        ]) {
          const envelope = yield* a.run(command)
          acknowledged.push(envelope.messageId)
          // Stored before the acknowledgment: the row is there the moment send returns.
          const stored = [...(yield* inbox(sql, "rondel")), ...(yield* inbox(sql, "accounting"))]
          assert.deepStrictEqual(
            stored.filter((r) => r.message_id === envelope.messageId).map((r) => [r.processed, r.parked]),
            [[false, false]]
          )
        }
        yield* a.stop(Exit.interrupt(FiberId.none))

        const b = yield* app()
        yield* b.run(settle)
        const processed = [...(yield* inbox(sql, "rondel")), ...(yield* inbox(sql, "accounting"))]
          .filter((r) => r.processed)
          .map((r) => r.message_id)
        assert.deepStrictEqual(
          acknowledged.filter((id) => !processed.includes(id)),
          []
        )
        yield* assertPaidOnce(sql, gameId)
      })
  )
})

describe.concurrent("Crash points of a paid move", () => {
  it.scopedLive(
    "before the producer's commit: nothing written; the Move is redelivered and handled once",
    () =>
      Effect.gen(function* () {
        const { sql, app } = yield* setting
        const a = yield* app({ maxAttempts: 1000 })
        const gameId = game("crash-before-commit")
        yield* a.run(Effect.zipRight(setUp(gameId), settle))
        // Rondel's handler dies on the paid Move, every time, until the process dies.
        yield* a.run(
          Effect.flatMap(Faults.Faults, (f) => f.armCrash({ host: "rondel", type: "Move" }, 1_000_000))
        )
        const paid = yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
        const row = Effect.map(inbox(sql, "rondel"), (rows) =>
          rows.find((r) => r.message_id === paid.messageId)
        )
        yield* eventually(
          sql,
          "a failed delivery of the Move",
          Effect.map(row, (r) => (r?.attempts ?? 0) >= 1)
        )
        yield* a.stop(killed)

        assert.deepStrictEqual(
          (yield* audit(sql, "rondel")).filter((e) => e.message_id === paid.messageId),
          []
        )
        assert.deepStrictEqual(
          (yield* outbox(sql, "rondel")).filter((r) => r.causation_id === paid.messageId),
          []
        )
        assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, {
          current: "Investor",
          pending: null
        })

        const b = yield* app()
        yield* b.run(settle)
        assert.strictEqual(
          (yield* audit(sql, "rondel")).filter((e) => e.message_id === paid.messageId).length,
          1
        )
        yield* assertPaidOnce(sql, gameId)
      })
  )

  it.scopedLive(
    "after the producer's commit, before the relay moved its outbox: the charge goes out once",
    () =>
      Effect.gen(function* () {
        const { sql, app } = yield* setting
        // Outboxes are not moved in this process: Rondel's commit stays in its outbox.
        const a = yield* app({ forward: false })
        const gameId = game("crash-before-relay")
        yield* a.run(setUp(gameId))
        yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
        yield* eventually(
          sql,
          "Rondel committed the pending move",
          Effect.map(positionsOf(sql, gameId), (p) => p.Germany?.pending === "Factory")
        )
        yield* a.stop(killed)

        assert.deepStrictEqual(
          (yield* outbox(sql, "rondel")).map((r) => [r.type, r.delivered]),
          [["ChargeMovement", false]]
        )
        assert.deepStrictEqual(yield* chargeRows(sql), [])

        const b = yield* app()
        yield* b.run(settle)
        assert.strictEqual((yield* chargeRows(sql)).length, 1)
        yield* assertPaidOnce(sql, gameId)
      })
  )

  it.scopedLive(
    "after the relay delivered to the inbox, before it deleted the outbox row: forwarded again, dropped",
    () =>
      Effect.gen(function* () {
        const { sql, app, hostsApp } = yield* setting
        // Only Rondel runs: its relay forwards the charge into Accounting's inbox, where it waits.
        const rondel = yield* hostsApp(["rondel"])
        const gameId = game("crash-before-mark")
        yield* rondel.run(send("rondel", startGame(gameId, nations)))
        yield* rondel.run(
          Effect.flatMap(CommitBoundary, (boundary) =>
            boundary.accept("accounting", envelopeOf(open(gameId, nations, 10), `open-${gameId}`, gameId))
          )
        )
        yield* rondel.run(send("rondel", move(gameId, "Germany", "Investor")))
        yield* rondel.run(send("rondel", move(gameId, "Germany", "Factory")))
        yield* eventually(
          sql,
          "the charge is in Accounting's inbox",
          Effect.map(chargeRows(sql), (rows) => rows.length === 1)
        )
        yield* rondel.stop(killed)
        // The state a crash between the consumer's insert and the producer's delete of the row would leave.
        assert.strictEqual(yield* forwardedAgain(sql, "rondel", "accounting"), 1)
        const before = yield* chargeRows(sql)

        const b = yield* app()
        yield* b.run(settle)
        const after = yield* chargeRows(sql)
        assert.deepStrictEqual(
          after.map((r) => [r.id, r.message_id]),
          before.map((r) => [r.id, r.message_id])
        )
        yield* assertPaidOnce(sql, gameId)
      })
  )

  it.scopedLive(
    "in the consumer, before its commit (crash, failed save): redelivered until handled, once",
    () =>
      Effect.gen(function* () {
        const { sql, app } = yield* setting
        const a = yield* app()
        const gameId = game("crash-in-consumer")
        yield* a.run(Effect.zipRight(setUp(gameId), settle))
        // The handover right after Rondel's commit: Accounting's handler dies 3 times and the actor gives up, so the
        // charge goes the relay's way (a failed handover is not counted). Its first delivery: the save fails (one
        // attempt recorded). The next delivery handles it.
        yield* a.run(
          Effect.flatMap(Faults.Faults, (f) =>
            Effect.zipRight(
              f.armCrash({ host: "accounting", type: "ChargeMovement" }, 3),
              f.arm("save", 1, "accounting")
            )
          )
        )
        yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
        yield* a.run(settle)
        assert.deepStrictEqual(
          (yield* chargeRows(sql)).map((r) => [r.processed, r.attempts, r.source]),
          [[true, 1, "rondel"]]
        )
        yield* assertPaidOnce(sql, gameId)
      })
  )

  it.scopedLive("after the consumer's commit, before the relay saw it: a redelivery changes nothing", () =>
    Effect.gen(function* () {
      const { sql, app } = yield* setting
      const a = yield* app()
      const gameId = game("crash-after-consumer-commit")
      yield* a.run(Effect.zipRight(setUp(gameId), settle))
      yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
      yield* a.run(settle)
      const [charge] = yield* chargeRows(sql)
      const paid = (yield* inbox(sql, "rondel")).find((r) => r.type === "RondelInvoicePaid")

      // The relay dies after Accounting committed the charge and before it knew: it (or another process)
      // delivers the same message again. The commit's inbox mark makes it a duplicate...
      const bus = yield* a.run(Bus.Bus)
      yield* bus.ask("accounting", charge!.envelope)
      yield* bus.ask("rondel", paid!.envelope)
      // ... and even with the mark lost, the domain's own idempotency (billing ids) applies nothing again.
      yield* sql`UPDATE accounting.inbox SET processed_at = NULL WHERE message_id = ${charge!.message_id}`
      yield* sql`UPDATE rondel.inbox SET processed_at = NULL WHERE message_id = ${paid!.message_id}`
      yield* a.run(settle)

      const again = (yield* audit(sql, "accounting")).filter((e) => e.message_id === charge!.message_id)
      assert.deepStrictEqual(
        again.map((e) => [e.state_changed, e.events.length]),
        [
          [true, 1],
          [false, 0]
        ]
      )
      yield* assertPaidOnce(sql, gameId)
    })
  )
})

// internal

/** Sends a front-door command through the host of that name running in the app. */
const send = (host: "rondel" | "accounting", command: { readonly _tag: string } & object) =>
  Effect.flatMap(Application.Application, (app) => app.hosts.get(host)!.send(command))
