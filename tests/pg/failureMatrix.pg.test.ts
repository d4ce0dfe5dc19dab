import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, FiberId } from "effect"
import type { AccountingClient } from "../../hosts/accounting/AccountingClient.js"
import type { RondelClient } from "../../hosts/rondel/RondelClient.js"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Relay from "../../src/commit/Relay.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import {
  forwardedAgain,
  assertConverged,
  audit,
  balancesOf,
  billOf,
  eventually,
  game,
  type InboxRow,
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

// ARCHITECTURE.md "Failure matrix", PostgreSQL column: one describe per row, asserting what is and is not in the tables afterwards.

/** Starting positions and accounts for a game, and Germany's free first move to Investor, settled. */
const onInvestor = (
  gameId: ReturnType<typeof game>,
  nations: Nations = ["Germany", "France"],
  balance = 10
) =>
  Effect.gen(function* () {
    yield* toRondel(startGame(gameId, nations))
    yield* toAccounting(open(gameId, nations, balance))
    yield* toRondel(move(gameId, "Germany", "Investor"))
    yield* settle
  })

describe.concurrent("failure matrix: save fails (Postgres)", () => {
  it.scopedLive("the transaction rolls back: no state, audit, outbox row or inbox mark is written", () =>
    Effect.gen(function* () {
      const { sql, app } = yield* setting
      // One attempt, so the failed delivery is parked and the tables can be read before any retry.
      const a = yield* app({ maxAttempts: 1 })
      const gameId = game("fm-save")
      yield* a.run(onInvestor(gameId))
      const versionBefore = yield* sql<{
        version: string
      }>`SELECT version FROM rondel.state WHERE key = ${gameId}`
      const auditBefore = yield* audit(sql, "rondel")

      yield* a.run(Effect.flatMap(Faults.Faults, (f) => f.arm("save", 1, "rondel")))
      const paid = yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
      yield* a.run(settle)

      const row = (yield* inbox(sql, "rondel")).find((r) => r.message_id === paid.messageId)
      assert.deepStrictEqual([row?.processed, row?.parked, row?.attempts], [false, true, 1])
      assert.include(row?.last_error, "injected save failure")
      assert.deepStrictEqual(
        yield* sql<{ version: string }>`SELECT version FROM rondel.state WHERE key = ${gameId}`,
        versionBefore
      )
      assert.deepStrictEqual(yield* audit(sql, "rondel"), auditBefore)
      assert.deepStrictEqual(
        (yield* outbox(sql, "rondel")).filter((r) => r.causation_id === paid.messageId),
        []
      )
      assert.deepStrictEqual(
        (yield* inbox(sql, "accounting")).filter((r) => r.type === "ChargeMovement"),
        []
      )
      assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, {
        current: "Investor",
        pending: null
      })

      // Nothing was applied, so redriving it simply handles it now.
      yield* a.run(Effect.flatMap(Relay.Relay, (relay) => relay.redrive(paid.messageId)))
      yield* a.run(settle)
      assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, { current: "Factory", pending: null })
      assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 6, France: 10, Bank: -16 })
      yield* assertConverged(sql)
    })
  )

  it.scopedLive("a commit that fails does not fail the other commits grouped into its transaction", () =>
    Effect.gen(function* () {
      const { sql, app } = yield* setting
      const games = Array.from({ length: 24 }, (_, i) => game(`fm-group-${i}`))
      const poisoned = games.filter((_, i) => i % 6 === 3)
      // Everything sent while nothing is delivered, so the first app to deliver handles every game's
      // paid move at once and their commits are grouped.
      const setup = yield* app({ deliver: false })
      const moves = new Map<string, string>()
      for (const gameId of games) {
        yield* setup.run(toRondel(startGame(gameId, ["Germany", "France"])))
        yield* setup.run(toAccounting(open(gameId, ["Germany", "France"], 10)))
        yield* setup.run(toRondel(move(gameId, "Germany", "Investor")))
        moves.set(gameId, (yield* setup.run(toRondel(move(gameId, "Germany", "Factory")))).messageId)
      }
      yield* setup.stop()
      // Rondel's own outbox refuses the charges of the poisoned games: their commits cannot be written.
      yield* sql.unsafe(`
        CREATE FUNCTION public.refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'outbox refuses %', NEW.key; END $$;
        CREATE TRIGGER refuse_poisoned BEFORE INSERT ON rondel.outbox
          FOR EACH ROW WHEN (NEW.key IN (${poisoned.map((g) => `'${g}'`).join(", ")}))
          EXECUTE FUNCTION public.refuse_poisoned();`)

      const a = yield* app({ maxAttempts: 1 })
      yield* a.run(settle)
      // Only the commits that cannot be written fail; their neighbours in the same transaction are retried alone.
      assert.deepStrictEqual(
        (yield* a.run(Effect.flatMap(Relay.Relay, (relay) => relay.parked))).map((p) => p.messageId).sort(),
        poisoned.map((gameId) => moves.get(gameId)).sort()
      )
      for (const gameId of games) {
        assert.deepStrictEqual(
          (yield* positionsOf(sql, gameId)).Germany,
          { current: poisoned.includes(gameId) ? "Investor" : "Factory", pending: null },
          gameId
        )
      }
    })
  )
})

describe.concurrent("failure matrix: save ok, a subscriber fails (Postgres)", () => {
  it.scopedLive("the relay retries the delivery until the subscriber handles it; attempts are recorded", () =>
    Effect.gen(function* () {
      const { sql, app } = yield* setting
      // No handover: the charge goes through Accounting's inbox, the relay's way (a handover that fails ends there too).
      const a = yield* app({}, false)
      const gameId = game("fm-subscriber")
      yield* a.run(onInvestor(gameId))
      // Accounting's handler dies on the charge 4 times: the actor's own 3 attempts end in parking it
      // in memory, so the relay records a failed delivery and retries; the retry dies once more, then succeeds.
      yield* a.run(
        Effect.flatMap(Faults.Faults, (f) => f.armCrash({ host: "accounting", type: "ChargeMovement" }, 4))
      )
      const paid = yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
      yield* a.run(settle)

      const charge = (yield* inbox(sql, "accounting")).filter((r) => r.type === "ChargeMovement")
      assert.deepStrictEqual(
        charge.map((r) => [r.envelope.causationId, r.processed, r.parked, r.attempts]),
        [[paid.messageId, true, false, 1]]
      )
      assert.include(charge[0]?.last_error, "injected crash")
      assert.strictEqual(
        (yield* audit(sql, "accounting")).filter((e) => e.message_id === charge[0]?.message_id).length,
        1
      )
      assert.deepStrictEqual(yield* a.run(Effect.flatMap(Faults.Faults, (f) => f.armed)), [])
      assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, { current: "Factory", pending: null })
      assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 6, France: 10, Bank: -16 })
      yield* assertConverged(sql)
    })
  )

  it.scopedLive(
    "after maxAttempts the delivery is parked with its cause; a redrive then gets it processed",
    () =>
      Effect.gen(function* () {
        const { sql, app } = yield* setting
        // No handover: every try is a delivery from Accounting's inbox, counted by the relay.
        const a = yield* app({ maxAttempts: 2 }, false)
        const gameId = game("fm-parked")
        yield* a.run(onInvestor(gameId))
        // 2 deliveries x 3 handler attempts each: every delivery fails.
        yield* a.run(
          Effect.flatMap(Faults.Faults, (f) => f.armCrash({ host: "accounting", type: "ChargeMovement" }, 6))
        )
        const paid = yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
        yield* a.run(settle)

        const relay = yield* a.run(Relay.Relay)
        const parked = yield* relay.parked
        assert.deepStrictEqual(
          parked.map((p) => [p.host, p.box, p.type, p.key, p.attempts]),
          [["accounting", "inbox", "ChargeMovement", gameId, 2]]
        )
        assert.include(parked[0]?.lastError, "injected crash")
        const chargeId = parked[0]!.messageId
        assert.deepStrictEqual(
          (yield* audit(sql, "accounting")).filter((e) => e.message_id === chargeId),
          []
        )
        assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, {
          current: "Investor",
          pending: "Factory"
        })
        assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 10, France: 10, Bank: -20 })

        yield* relay.redrive(chargeId)
        yield* a.run(settle)
        assert.deepStrictEqual(yield* relay.parked, [])
        assert.deepStrictEqual(
          (yield* relay.messageStatus(chargeId)).map((s) => [s.host, s.status]),
          [["accounting", "processed"]]
        )
        assert.strictEqual(
          (yield* audit(sql, "accounting")).filter((e) => e.message_id === chargeId).length,
          1
        )
        assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, {
          current: "Factory",
          pending: null
        })
        assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 6, France: 10, Bank: -16 })
        assert.strictEqual(
          billOf(paid.messageId),
          (yield* audit(sql, "accounting")).find((e) => e.message_id === chargeId)?.payload.billingId
        )
        yield* assertConverged(sql)
      })
  )
})

describe.concurrent("failure matrix: save ok, dispatch fails (Postgres): cannot happen separately", () => {
  it.scopedLive(
    "commands are written by the state's transaction: no outbox row, no state (and vice versa)",
    () =>
      Effect.gen(function* () {
        const { sql, app } = yield* setting
        const a = yield* app({ maxAttempts: 1 })
        const gameId = game("fm-dispatch")
        yield* a.run(onInvestor(gameId))
        // Make writing the ChargeMovement fail inside Rondel's commit: its own outbox refuses it.
        yield* sql.unsafe(`
        CREATE FUNCTION public.refuse_charge() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'outbox refuses %', NEW.type; END $$;
        CREATE TRIGGER refuse_charge BEFORE INSERT ON rondel.outbox
          FOR EACH ROW WHEN (NEW.type = 'ChargeMovement') EXECUTE FUNCTION public.refuse_charge();`)
        const paid = yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
        yield* a.run(settle)

        const row = (yield* inbox(sql, "rondel")).find((r) => r.message_id === paid.messageId)
        assert.deepStrictEqual([row?.processed, row?.parked], [false, true])
        assert.include(row?.last_error, "outbox refuses ChargeMovement")
        // The state did not move without its command: no pending move, no audit entry, no outbox row.
        assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, {
          current: "Investor",
          pending: null
        })
        assert.deepStrictEqual(
          (yield* audit(sql, "rondel")).filter((e) => e.message_id === paid.messageId),
          []
        )
        assert.deepStrictEqual(
          (yield* outbox(sql, "rondel")).filter((r) => r.causation_id === paid.messageId),
          []
        )

        yield* sql.unsafe(`DROP TRIGGER refuse_charge ON rondel.outbox`)
        yield* a.run(Effect.flatMap(Relay.Relay, (relay) => relay.redrive(paid.messageId)))
        yield* a.run(settle)
        assert.deepStrictEqual(
          (yield* inbox(sql, "accounting"))
            .filter((r) => r.envelope.causationId === paid.messageId)
            .map((r) => [r.type, r.source]),
          [["ChargeMovement", "rondel"]]
        )
        assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, {
          current: "Factory",
          pending: null
        })
        yield* assertConverged(sql)
      })
  )

  it.scopedLive("there is no dispatch step to fail: an armed dispatch fault is never consumed", () =>
    Effect.gen(function* () {
      const { sql, app } = yield* setting
      const a = yield* app()
      const gameId = game("fm-no-dispatch")
      yield* a.run(onInvestor(gameId))
      yield* a.run(
        Effect.flatMap(Faults.Faults, (f) => Effect.zipRight(f.arm("dispatch", 3), f.arm("publish", 3)))
      )
      yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
      yield* a.run(settle)
      assert.deepStrictEqual(yield* a.run(Effect.flatMap(Faults.Faults, (f) => f.armed)), [
        { point: "dispatch", remaining: 3 },
        { point: "publish", remaining: 3 }
      ])
      assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, { current: "Factory", pending: null })
      yield* assertConverged(sql)
    })
  )
})

describe.concurrent("failure matrix: target host crashes while processing (Postgres)", () => {
  it.scopedLive("the row stays claimable and is redelivered to the restarted host", () =>
    Effect.gen(function* () {
      const { sql, hostsApp } = yield* setting
      const rondel = yield* hostsApp(["rondel"])
      const accounting1 = yield* hostsApp(["accounting"], { maxAttempts: 1000 })
      const gameId = game("fm-target-crash")
      const nations: Nations = ["Germany", "France"]
      yield* rondel.run(sendVia("rondel", startGame(gameId, nations)))
      yield* accounting1.run(sendVia("accounting", open(gameId, nations, 10)))
      yield* rondel.run(sendVia("rondel", move(gameId, "Germany", "Investor")))
      yield* eventually(
        sql,
        "Germany on Investor",
        Effect.map(positionsOf(sql, gameId), (p) => p.Germany?.current === "Investor")
      )
      yield* eventually(
        sql,
        "accounts open",
        Effect.map(balancesOf(sql, gameId), (b) => b.Germany === 10)
      )

      // Accounting's handler dies on every charge until its process goes away.
      yield* accounting1.run(
        Effect.flatMap(Faults.Faults, (f) =>
          f.armCrash({ host: "accounting", type: "ChargeMovement" }, 1_000_000)
        )
      )
      const paid = yield* rondel.run(sendVia("rondel", move(gameId, "Germany", "Factory")))
      const chargeRow = Effect.map(inbox(sql, "accounting"), (rows) =>
        rows.find((r) => r.type === "ChargeMovement")
      )
      yield* eventually(
        sql,
        "a failed delivery of the charge",
        Effect.map(chargeRow, (r) => (r?.attempts ?? 0) >= 1)
      )
      yield* accounting1.stop(killed)

      const left = yield* chargeRow
      assert.deepStrictEqual([left?.processed, left?.parked], [false, false], "still claimable")
      assert.deepStrictEqual(
        (yield* audit(sql, "accounting")).filter((e) => e.message_id === left?.message_id),
        []
      )

      const accounting2 = yield* hostsApp(["accounting"])
      yield* accounting2.run(settle)
      yield* rondel.run(settle)
      const done = yield* chargeRow
      assert.deepStrictEqual([done?.processed, done?.envelope.causationId], [true, paid.messageId])
      assert.strictEqual(
        (yield* audit(sql, "accounting")).filter((e) => e.message_id === done?.message_id).length,
        1
      )
      assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, { current: "Factory", pending: null })
      assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 6, France: 10, Bank: -16 })
      yield* assertConverged(sql)
    })
  )
})

describe.concurrent("failure matrix: relay crashes after delivery, before ack (Postgres)", () => {
  it.scopedLive("rows moved again are dropped by the destination inbox; nothing is applied twice", () =>
    Effect.gen(function* () {
      const { sql, app } = yield* setting
      // The classic relay: every row crosses the mover, which is what this row of the matrix crashes.
      const a = yield* app({}, false)
      const gameId = game("fm-relay")
      yield* a.run(onInvestor(gameId))
      yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
      yield* a.run(settle)
      const inboxBefore = yield* inbox(sql, "accounting")
      const auditBefore = yield* audit(sql, "accounting")
      const rondelAuditBefore = yield* audit(sql, "rondel")

      // The relay put the rows into the consumers' inboxes but "crashed" before deleting them from the outboxes, and
      // crashes twice more before it runs again. The faults are armed first: a poll round between the insert
      // and the arming would forward the rows again before any crash (the race a loaded CI machine hit).
      yield* a.run(
        Effect.flatMap(Faults.Faults, (f) =>
          Effect.zipRight(f.arm("relay", 2, "rondel"), f.arm("relay", 2, "accounting"))
        )
      )
      assert.strictEqual(yield* forwardedAgain(sql, "rondel", "accounting"), 1)
      assert.strictEqual(yield* forwardedAgain(sql, "accounting", "rondel"), 1)
      yield* a.run(Effect.flatMap(Relay.Relay, (relay) => relay.wake))
      yield* a.run(settle)

      assert.deepStrictEqual(yield* a.run(Effect.flatMap(Faults.Faults, (f) => f.armed)), [])
      // Forwarded again, dropped by the inboxes, and gone from the outboxes.
      assert.deepStrictEqual(yield* outbox(sql, "rondel"), [])
      assert.deepStrictEqual(yield* outbox(sql, "accounting"), [])
      assert.deepStrictEqual(yield* inbox(sql, "accounting"), inboxBefore)
      assert.deepStrictEqual(yield* audit(sql, "accounting"), auditBefore)
      assert.deepStrictEqual(yield* audit(sql, "rondel"), rondelAuditBefore)
      assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 6, France: 10, Bank: -16 })
      yield* assertConverged(sql)
    })
  )

  it.scopedLive(
    "a processed message delivered again (the relay lost its outcome) is acknowledged, not applied",
    () =>
      Effect.gen(function* () {
        const { sql, app } = yield* setting
        const a = yield* app()
        const gameId = game("fm-redeliver")
        yield* a.run(onInvestor(gameId))
        yield* a.run(toRondel(move(gameId, "Germany", "Factory")))
        yield* a.run(settle)
        const auditBefore = {
          rondel: yield* audit(sql, "rondel"),
          accounting: yield* audit(sql, "accounting")
        }
        const states = Effect.all([positionsOf(sql, gameId), balancesOf(sql, gameId)])
        const before = yield* states

        // Every processed message of the game handed to its host again, as a relay that crashed after the
        // consumer's commit (before it saw the outcome) would do, and sent again through the front door.
        const bus = yield* a.run(Bus.Bus)
        const app_ = yield* a.run(Application.Application)
        for (const host of ["rondel", "accounting"] as const) {
          for (const row of yield* inbox(sql, host)) {
            yield* bus.ask(host, row.envelope)
            const { type, version, payload, messageId, causationId, correlationId } = row.envelope
            yield* app_.hosts
              .get(host)!
              .sendWire({ type, version, payload }, { messageId, causationId, correlationId })
          }
        }
        yield* a.run(settle)

        assert.deepStrictEqual(yield* states, before)
        assert.deepStrictEqual(
          { rondel: yield* audit(sql, "rondel"), accounting: yield* audit(sql, "accounting") },
          auditBefore
        )
        yield* assertConverged(sql)
      })
  )
})

describe.concurrent("failure matrix: process killed at any point (Postgres)", () => {
  const commandsFor = (gameId: ReturnType<typeof game>) => {
    const nations: Nations = ["Germany", "France"]
    return [
      toRondel(startGame(gameId, nations)) as Effect.Effect<
        Envelope,
        unknown,
        RondelClient | AccountingClient
      >,
      toAccounting(open(gameId, nations, 10)),
      toRondel(move(gameId, "Germany", "Investor")),
      toRondel(move(gameId, "France", "Import")),
      toRondel(move(gameId, "Germany", "Factory")), // 5 steps: 4M
      toRondel(move(gameId, "France", "ProductionTwo")) // 5 steps: 4M
    ]
  }

  it.scopedLive(
    "on restart every acknowledged command is processed and every committed message delivered, once",
    () =>
      Effect.gen(function* () {
        const { sql, app } = yield* setting
        const acknowledged: Array<string> = []
        const acknowledgedOf = new Map<string, number>()
        // Kill the application at different moments of the same workload: right after its k-th acknowledgment
        // (however long the machine takes to get there), with the next command in flight and earlier ones being
        // handled. One attempt per delivery, so a delivery cut short by the kill must not count as the message's
        // failure.
        for (const [round, afterAcks] of [0, 1, 4, 9, 16].entries()) {
          const a = yield* app({ maxAttempts: 1 })
          const reached = yield* Deferred.make<void>()
          let acks = 0
          const sending = yield* Effect.fork(
            a.run(
              Effect.forEach(
                Array.from({ length: 4 }, (_, i) => game(`fm-killed-${round}-${i}`)),
                (gameId) =>
                  Effect.forEach(commandsFor(gameId), (command) =>
                    Effect.flatMap(command, (envelope) => {
                      acknowledged.push(envelope.messageId)
                      acknowledgedOf.set(gameId, (acknowledgedOf.get(gameId) ?? 0) + 1)
                      return ++acks >= afterAcks ? Deferred.succeed(reached, undefined) : Effect.void
                    })
                  ),
                { discard: true }
              )
            )
          )
          if (afterAcks > 0) yield* Effect.raceFirst(Deferred.await(reached), Fiber.await(sending))
          assert.isAtLeast(acks, afterAcks, `round ${round}: the workload stopped after ${acks} commands`)
          yield* a.stop(round % 2 === 0 ? killed : Exit.interrupt(FiberId.none))
          yield* Fiber.interrupt(sending)
        }

        const last = yield* app()
        yield* last.run(settle)

        const rows = new Map<string, InboxRow>()
        for (const host of ["rondel", "accounting"]) {
          for (const row of yield* inbox(sql, host)) rows.set(row.message_id, row)
        }
        assert.deepStrictEqual(
          acknowledged
            .filter((id) => rows.get(id)?.processed !== true)
            .map((id) => [id, rows.get(id)?.type, rows.get(id)?.parked, rows.get(id)?.last_error]),
          [],
          "acknowledged but not processed"
        )
        // Each game ends exactly where its stored commands lead: every acknowledged one, plus perhaps the one
        // whose acknowledgment the kill cut off (stored, so processed too). They were sent in order.
        for (const [gameId, acked] of acknowledgedOf) {
          const n = [...rows.values()].filter(
            (r) => r.key === gameId && r.envelope.causationId === r.message_id
          ).length
          assert.include([acked, acked + 1], n, `${gameId}: ${n} commands stored, ${acked} acknowledged`)
          const expectedPositions = {
            Germany: { current: n >= 5 ? "Factory" : n >= 3 ? "Investor" : null, pending: null },
            France: { current: n >= 6 ? "ProductionTwo" : n >= 4 ? "Import" : null, pending: null }
          }
          assert.deepStrictEqual<unknown>(
            yield* positionsOf(sql, gameId),
            n === 0 ? {} : expectedPositions,
            `${gameId} after ${n}`
          )
          if (n >= 2) {
            const germany = n >= 5 ? 6 : 10
            const france = n >= 6 ? 6 : 10
            assert.deepStrictEqual(
              yield* balancesOf(sql, gameId),
              { Germany: germany, France: france, Bank: -(germany + france) },
              `${gameId} after ${n}`
            )
          }
        }
        const moves = (yield* audit(sql, "rondel")).filter((e) => e.type === "Move")
        assert.strictEqual(new Set(moves.map((m) => m.message_id)).size, moves.length, "a Move handled twice")
        assert.deepStrictEqual(yield* last.run(Effect.flatMap(Relay.Relay, (r) => r.parked)), [])
        yield* assertConverged(sql)
      })
  )
})

// internal

/** Sends a front-door command through whichever host of that name runs in the app. */
const sendVia = (host: "rondel" | "accounting", command: { readonly _tag: string } & object) =>
  Effect.flatMap(Application.Application, (app) => {
    const running = app.hosts.get(host)
    if (running === undefined) return Effect.die(new Error(`${host} does not run here`))
    return running.send(command)
  })
