import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Queue, Redacted } from "effect"
import * as Reconcile from "../../hosts/sandbox/Reconcile.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Bus from "../../src/commit/Bus.js"
import * as Relay from "../../src/commit/Relay.js"
import * as Embedded from "../../src/pg/internal/embeddedServer.js"
import * as PostgresServer from "../../src/pg/testing/PostgresServer.js"
import {
  balancesOf,
  type Databases,
  eventually,
  fastRelay,
  game,
  inbox,
  move,
  open,
  outbox,
  positionsOf,
  settle,
  sqlClient,
  start,
  startGame,
  toAccounting,
  toRondel
} from "./imperialPg.js"

// Rondel and Accounting on two PostgreSQL servers of their own (started here, thrown away after): nothing shares a
// transaction, and an outage or a refusal in Accounting's database stays there.

/** A throwaway server with a fresh database on it, its SQL client, and the server's stop and restart. */
const server = (name: string) =>
  Effect.gen(function* () {
    const embedded = yield* Effect.orDie(Embedded.start({}, () => {}))
    const { url } = yield* Effect.orDie(PostgresServer.createDatabase(embedded.url, `${name}_db`))
    const sql = yield* sqlClient(url)
    return { url, sql, stop: embedded.stop, restart: Effect.orDie(embedded.restart) }
  })

/** Both hosts in this process, each on its own server. */
const twoServers = Effect.gen(function* () {
  const a = yield* server("rondel")
  const b = yield* server("accounting")
  const app = (relay: NonNullable<ImperialApp.PostgresOptions["relay"]> = {}) =>
    start(
      ImperialApp.layerPostgres({
        placement: { hosts: { rondel: redacted(a.url), accounting: redacted(b.url) } },
        relay: { ...fastRelay, ...relay },
        // A day away: the outage lasts as long as a loaded machine makes it; the deadline is not this test's subject.
        paymentDeadline: "1 day"
      })
    )
  return { rondelDb: a, accountingDb: b, app }
})

const nations = ["Germany", "France"] as const

describe("contexts on two servers", () => {
  it.scopedLive("each database holds its own context's tables only", () =>
    Effect.gen(function* () {
      const { rondelDb, accountingDb, app } = yield* twoServers
      const running = yield* app()
      const gameId = game("placed")
      yield* running.run(setUp(gameId))
      yield* running.run(toRondel(move(gameId, "Germany", "Factory")))
      yield* running.run(settleApp)
      assert.deepStrictEqual(yield* schemas(rondelDb.sql), ["rondel"])
      assert.deepStrictEqual(yield* schemas(accountingDb.sql), ["accounting"])
      assert.deepStrictEqual((yield* positionsOf(rondelDb.sql, gameId)).Germany, {
        current: "Factory",
        pending: null
      })
      assert.deepStrictEqual(yield* balancesOf(accountingDb.sql, gameId), {
        Germany: 6,
        France: 10,
        Bank: -16
      })
    })
  )

  it.scopedLive(
    "(a) Accounting's server stopped: Rondel keeps committing, paid moves wait in its outbox, and complete once it is back",
    () =>
      Effect.gen(function* () {
        const { rondelDb, accountingDb, app } = yield* twoServers
        const running = yield* app()
        const bus = yield* running.run(Bus.Bus)
        const feed = yield* bus.subscribe
        const gameId = game("outage")
        yield* running.run(setUp(gameId))
        yield* running.run(settleApp)

        yield* accountingDb.stop
        // A free move completes without Accounting.
        yield* running.run(toRondel(move(gameId, "France", "Taxation")))
        // Progress is judged on Rondel's database: Accounting's is down.
        yield* eventually(
          { rondel: rondelDb.sql },
          "the free move completed while Accounting is down",
          Effect.map(positionsOf(rondelDb.sql, gameId), (p) => p.France?.current === "Taxation")
        )
        // A paid move is committed by Rondel: pending, its charge waiting in Rondel's outbox.
        const paid = yield* running.run(toRondel(move(gameId, "Germany", "Factory")))
        yield* eventually(
          { rondel: rondelDb.sql },
          "the paid move is pending",
          Effect.map(positionsOf(rondelDb.sql, gameId), (p) => p.Germany?.pending === "Factory")
        )
        assert.deepStrictEqual(
          (yield* outbox(rondelDb.sql, "rondel"))
            .filter((r) => !r.delivered)
            .map((r) => [r.type, r.destination]),
          [["ChargeMovement", "accounting"]]
        )
        // The relay says what it waits for; stats show the waiting messages per destination and the unreachable host.
        const relay = yield* running.run(Relay.Relay)
        const stats = yield* eventually_(
          { rondel: rondelDb.sql },
          "the relay reports the wait",
          Effect.map(relay.stats, (all) => {
            const rondel = all.find((s) => s.host === "rondel")
            return rondel?.waitingFor.includes("accounting") === true ? all : undefined
          })
        )
        const rondelStats = stats.find((s) => s.host === "rondel")!
        assert.strictEqual(rondelStats.outboxByDestination.accounting, 1)
        assert.isDefined(stats.find((s) => s.host === "accounting")?.unreachable)
        const notices = Chunk.toReadonlyArray(yield* Queue.takeAll(feed)).filter((o) => o._tag === "Notice")
        assert.isTrue(
          notices.some(
            (n) => n._tag === "Notice" && /accounting's storage .* cannot be reached/.test(n.message)
          ),
          JSON.stringify(notices)
        )
        // Reconcile lists the move waiting for its payment.
        const report = yield* running.run(Reconcile.reconcile("0 millis", relay))
        assert.deepStrictEqual(
          report.pendingMovements.map((m) => [m.gameId, m.nation, m.target]),
          [[gameId, "Germany", "Factory"]]
        )

        yield* accountingDb.restart
        yield* running.run(settleApp)
        assert.deepStrictEqual(yield* positionsOf(rondelDb.sql, gameId), {
          Germany: { current: "Factory", pending: null },
          France: { current: "Taxation", pending: null }
        })
        // Charged once.
        assert.deepStrictEqual(yield* balancesOf(accountingDb.sql, gameId), {
          Germany: 6,
          France: 10,
          Bank: -16
        })
        assert.deepStrictEqual(
          (yield* inbox(accountingDb.sql, "accounting"))
            .filter((r) => r.envelope.causationId === paid.messageId)
            .map((r) => [r.type, r.source, r.processed]),
          [["ChargeMovement", "rondel", true]]
        )
        assert.deepStrictEqual(
          (yield* outbox(rondelDb.sql, "rondel")).filter((r) => !r.delivered),
          []
        )
      })
  )

  it.scopedLive(
    "(b) Accounting's inbox refuses inserts: Rondel's move commits, only the charge waits (parked), and a redrive completes it",
    () =>
      Effect.gen(function* () {
        const { rondelDb, accountingDb, app } = yield* twoServers
        const running = yield* app({ maxAttempts: 2 })
        const gameId = game("refused")
        yield* running.run(setUp(gameId))
        yield* running.run(settleApp)
        yield* accountingDb.sql.unsafe(`
          CREATE FUNCTION public.refuse_charge() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'inbox refuses %', NEW.type; END $$;
          CREATE TRIGGER refuse_charge BEFORE INSERT ON accounting.inbox
            FOR EACH ROW WHEN (NEW.type = 'ChargeMovement') EXECUTE FUNCTION public.refuse_charge();`)
        const paid = yield* running.run(toRondel(move(gameId, "Germany", "Factory")))
        const relay = yield* running.run(Relay.Relay)
        const parked = yield* eventually_(
          { rondel: rondelDb.sql, accounting: accountingDb.sql },
          "the charge is parked in Rondel's outbox",
          Effect.map(relay.parked, (rows) => (rows.length > 0 ? rows : undefined))
        )
        assert.deepStrictEqual(
          parked.map((p) => [p.host, p.box, p.type, p.attempts]),
          [["rondel", "outbox", "ChargeMovement", 2]]
        )
        assert.include(parked[0]!.lastError, "inbox refuses ChargeMovement")
        // Rondel's own work is done: the Move is processed and the movement is pending.
        assert.deepStrictEqual(
          (yield* inbox(rondelDb.sql, "rondel"))
            .filter((r) => r.message_id === paid.messageId)
            .map((r) => r.processed),
          [true]
        )
        assert.deepStrictEqual((yield* positionsOf(rondelDb.sql, gameId)).Germany, {
          current: "Investor",
          pending: "Factory"
        })

        yield* accountingDb.sql.unsafe(`DROP TRIGGER refuse_charge ON accounting.inbox`)
        yield* relay.redrive(parked[0]!.messageId)
        yield* running.run(settleApp)
        assert.deepStrictEqual(yield* relay.parked, [])
        assert.deepStrictEqual((yield* positionsOf(rondelDb.sql, gameId)).Germany, {
          current: "Factory",
          pending: null
        })
        assert.deepStrictEqual(yield* balancesOf(accountingDb.sql, gameId), {
          Germany: 6,
          France: 10,
          Bank: -16
        })
      })
  )
})

// internal

const setUp = (gameId: ReturnType<typeof game>) =>
  Effect.gen(function* () {
    yield* toRondel(startGame(gameId, [...nations]))
    yield* toAccounting(open(gameId, [...nations], 10))
    yield* toRondel(move(gameId, "Germany", "Investor"))
  })

const settleApp = settle

const schemas = (sql: Effect.Effect.Success<ReturnType<typeof sqlClient>>) =>
  Effect.map(
    sql<{ nspname: string }>`SELECT nspname FROM pg_namespace
      WHERE nspname NOT LIKE 'pg_%' AND nspname NOT IN ('public', 'information_schema') ORDER BY nspname`,
    (rows) => rows.map((row) => row.nspname)
  )

const redacted = (url: string) => Redacted.make(url)

/** Polls until `check` gives a value (fails the test when it never does). */
const eventually_ = <A, E, R>(sql: Databases, what: string, check: Effect.Effect<A | undefined, E, R>) =>
  Effect.gen(function* () {
    let found: A | undefined
    yield* eventually(
      sql,
      what,
      Effect.map(check, (value) => {
        found = value
        return value !== undefined
      })
    )
    return found as A
  })
