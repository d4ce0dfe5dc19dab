import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Redacted, Scope } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Relay from "../../src/commit/Relay.js"
import * as Replay from "../../src/commit/Replay.js"
import * as Embedded from "../../src/pg/internal/embeddedServer.js"
import * as Placement from "../../src/pg/Placement.js"
import * as PostgresServer from "../../src/pg/testing/PostgresServer.js"
import {
  type Databases,
  accountingHistories,
  accountingState,
  audit,
  convergenceProblems,
  envelopeOf,
  eventually,
  game,
  inbox,
  move,
  type Nations,
  open,
  safetyProblems,
  sqlClient,
  start,
  startGame
} from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// Rondel (two processes) and Accounting (one process) run as OS processes of their own, as in production,
// and are killed with SIGKILL at random moments and restarted while a stream of moves arrives. Right after the
// workload, before waiting for anything: no command is lost, no message applied twice, no billing id charged twice,
// money is conserved. Then, judged by progress (the run fails when nothing moves for two minutes, not after a
// fixed time: a loaded machine is slower, not broken): everything is processed, every move is completed or
// rejected with a reason, nothing is parked. Set MAILROOM_CHAOS_SEED to replay a run's workload and kill schedule
// (the seed is printed with every failure).

const seed = process.env.MAILROOM_CHAOS_SEED
  ? Number(process.env.MAILROOM_CHAOS_SEED)
  : Math.floor(Math.random() * 2 ** 32)
const replay = `seed ${seed}: rerun with MAILROOM_CHAOS_SEED=${seed} npx vitest run --project postgres tests/pg/chaos.pg.test.ts`
const hostScript = fileURLToPath(new URL("../../hosts/sandbox/host.ts", import.meta.url))
const slots = ["rondel", "rondel", "accounting"] as const
const nations: Nations = ["Germany", "France", "Italy"]
const startingBalance = 4
/** Processes killed while up (hosts started) before the kill schedule ends. */
const minKills = 4
const depositAmount = 3

describe("Chaos: host processes killed with SIGKILL and restarted", () => {
  it.scopedLive(
    `every move completes or is rejected, money is conserved, nothing is parked (seed ${seed})`,
    () => chaos("one database"),
    // A backstop against a hang; the run is judged by progress.
    600_000
  )

  it.scopedLive(
    `the same with Rondel and Accounting on two servers of their own (seed ${seed})`,
    () => chaos("two servers"),
    600_000
  )
})

/** Where the contexts live: both schemas in this run's database, or each on a throwaway server of its own. */
type Where = "one database" | "two servers"

/** Databases for the run, with the `--database-url` flags that place the hosts on them. */
const databasesFor = (where: Where) =>
  Effect.gen(function* () {
    if (where === "one database") {
      const { url } = yield* freshDatabase()
      const sql: Databases = yield* sqlClient(url)
      return { sql, flags: [url], placement: Placement.single(url) }
    }
    const [rondel, accounting] = yield* Effect.forEach(["rondel", "accounting"] as const, (host) =>
      Effect.flatMap(Effect.orDie(Embedded.start({}, () => {})), (server) =>
        Effect.map(PostgresServer.createDatabase(server.url, `chaos_${host}`), ({ url }) => url)
      )
    )
    const sql: Databases = { rondel: yield* sqlClient(rondel!), accounting: yield* sqlClient(accounting!) }
    const placement: Placement.Placement = {
      hosts: { rondel: Redacted.make(rondel!), accounting: Redacted.make(accounting!) }
    }
    return { sql, flags: [`rondel=${rondel}`, `accounting=${accounting}`], placement }
  })

const chaos = (where: Where) =>
  Effect.gen(function* () {
    yield* Effect.addFinalizer((exit) =>
      Exit.isFailure(exit) ? Effect.sync(() => console.log(`[chaos] failed with ${replay}`)) : Effect.void
    )
    const startedAt = Date.now()
    const random = mulberry32(seed)
    const { sql, flags, placement } = yield* databasesFor(where)
    // This process only sends and watches: no host runs here.
    const watcher = yield* start(ImperialApp.layerPostgresApplication({ placement, local: [] }))
    const boundary = yield* watcher.run(CommitBoundary)

    const childrenScope = yield* Scope.make()
    const children = yield* Scope.extend(processes(flags), childrenScope)
    yield* Effect.addFinalizer((exit) =>
      Effect.zipRight(
        Exit.isFailure(exit)
          ? Effect.sync(() => {
              for (const [slot, text] of children.output())
                console.log(`[chaos] ${slots[slot]} #${slot}:\n${text}`)
            })
          : Effect.void,
        Scope.close(childrenScope, Exit.void)
      )
    )
    for (let i = 0; i < slots.length; i++) children.spawn(i)

    // The kill schedule: a random process, 0.3-1.3 s after it is up (its hosts started: a process still booting on
    // a loaded machine is not what this kills), back after 0-300 ms.
    const stop = yield* Deferred.make<void>()
    const enough = yield* Deferred.make<void>()
    let kills = 0
    const chaos = yield* Effect.fork(
      Effect.gen(function* () {
        while (true) {
          const slot = Math.floor(random() * slots.length)
          const delay = 300 + Math.floor(random() * 1000)
          const back = Math.floor(random() * 300)
          const up = yield* Effect.raceFirst(
            Effect.as(children.ready(slot), true),
            Effect.as(Deferred.await(stop), false)
          )
          if (!up) return
          yield* Effect.sleep(`${delay} millis`)
          if (yield* Deferred.isDone(stop)) return
          yield* children.kill(slot)
          if (++kills === minKills) yield* Deferred.succeed(enough, undefined)
          yield* Effect.sleep(`${back} millis`)
          children.spawn(slot)
        }
      })
    )

    // The workload: games set up, then waves of moves (4-6 spaces past the nation's last target: paid
    // unless superseding) and deposits, each stored durably through the boundary.
    let sequence = 0
    const accept = (host: "rondel" | "accounting", message: Contracts.Message, key: string) => {
      const id = `chaos-${seed}-${++sequence}`
      return Effect.as(boundary.accept(host, envelopeOf(message, id, key)), id)
    }
    const games = Array.from({ length: 30 }, (_, i) => game(`chaos-${i}`))
    for (const gameId of games) {
      yield* accept("rondel", startGame(gameId, nations), gameId)
      yield* accept("accounting", open(gameId, nations, startingBalance), gameId)
    }
    const moves: Array<{ readonly id: string; readonly gameId: string; readonly space: string }> = []
    const deposits = new Map<string, number>()
    const target = new Map<string, number>()
    for (let wave = 0; wave < 20; wave++) {
      // One message per game and wave, sent together; waves one after the other (per-game order).
      const wavesGames = games.filter(() => random() < 0.5)
      const messages = wavesGames.map((gameId) => {
        const nation = nations[Math.floor(random() * nations.length)]!
        if (random() < 0.1) {
          deposits.set(gameId, (deposits.get(gameId) ?? 0) + depositAmount)
          return {
            host: "accounting" as const,
            gameId,
            message: AccountingMessages.Deposit.make({ gameId, nation, amount: depositAmount })
          }
        }
        const from = target.get(`${gameId}/${nation}`)
        const index =
          from === undefined ? Math.floor(random() * 8) : (from + 4 + Math.floor(random() * 3)) % 8
        target.set(`${gameId}/${nation}`, index)
        return { host: "rondel" as const, gameId, message: move(gameId, nation, Space.Spaces[index]!) }
      })
      const ids = yield* Effect.forEach(
        messages,
        ({ host, gameId, message }) => accept(host, message, gameId),
        {
          concurrency: "unbounded"
        }
      )
      messages.forEach(({ gameId, message }, i) => {
        if (message._tag === "Move") moves.push({ id: ids[i]!, gameId, space: message.space })
      })
      yield* Effect.sleep("250 millis")
    }
    // The kills go on after the workload (while the hosts work through it) until enough processes were killed
    // while up, however long their restarts take.
    yield* Deferred.await(enough)
    yield* Deferred.succeed(stop, undefined)
    yield* Fiber.join(chaos)
    for (let i = 0; i < slots.length; i++) children.spawn(i)

    const sentAt = Date.now()

    // Safety first, while the hosts still work through the backlog: a lost command or a double charge is
    // reported as such, not as a run that did not finish.
    const rondelStored = yield* inbox(sql, "rondel")
    const accountingStored = yield* inbox(sql, "accounting")
    const fromOutside = [...rondelStored, ...accountingStored].filter(
      (r) => r.envelope.causationId === r.message_id
    )
    assert.deepStrictEqual(
      Array.from({ length: sequence }, (_, i) => `chaos-${seed}-${i + 1}`).filter(
        (id) => fromOutside.filter((r) => r.message_id === id).length !== 1
      ),
      [],
      `sent commands not stored exactly once (${replay})`
    )
    assert.deepStrictEqual(yield* safetyProblems(sql), [], `while converging (${replay})`)

    // Liveness: every committed message processed, however long it takes while the hosts make progress.
    yield* eventually(
      sql,
      "everything committed was processed",
      Effect.map(boundary.backlog, (n) => n === 0),
      { stall: "2 minutes" }
    )
    const settledAt = Date.now()
    const parked = yield* watcher.run(Effect.flatMap(Relay.Relay, (relay) => relay.parked))
    yield* Scope.close(childrenScope, Exit.void)
    assert.deepStrictEqual(children.alive(), [], "host processes left running")
    assert.deepStrictEqual(parked, [], `parked (${replay})`)

    // Every stored command was processed.
    const rondelInbox = yield* inbox(sql, "rondel")
    const accountingInbox = yield* inbox(sql, "accounting")
    const unprocessed = [...rondelInbox, ...accountingInbox].filter((r) => !r.processed)
    assert.deepStrictEqual(
      unprocessed.map((r) => r.message_id),
      [],
      `unprocessed (${replay})`
    )

    // Every move has exactly one fate: completed (free or paid) or rejected with a reason.
    const log = yield* audit(sql, "rondel")
    const fates = new Map<string, number>()
    let charged = 0
    const note = (fate: string) => fates.set(fate, (fates.get(fate) ?? 0) + 1)
    for (const m of moves) {
      const handled = log.filter((e) => e.message_id === m.id)
      assert.strictEqual(handled.length, 1, `move ${m.id} handled ${handled.length} times (${replay})`)
      const own = handled[0]!.events
      const awaiting = own.find((e) => e.type === "MovementAwaitingPayment")
      if (awaiting === undefined) {
        if (own.some((e) => e.type === "ActionDetermined")) note("completed free")
        else {
          const rejection = own.find(
            (e) =>
              e.type === "MoveToActionSpaceRejected" &&
              (e.payload as { reason: string }).reason !== "Superseded"
          )
          assert.isDefined(rejection, `move ${m.id} has no outcome (${replay})`)
          note(`rejected ${(rejection!.payload as { reason: string }).reason}`)
        }
        continue
      }
      charged++
      const bill = (awaiting.payload as { billingId: string }).billingId
      const outcomes = [
        ...log
          .filter((e) =>
            e.commands.some(
              (c) => c.type === "VoidCharge" && (c.payload as { billingId: string }).billingId === bill
            )
          )
          .map(() => "rejected Superseded"),
        ...log
          .filter((e) => e.type === "RondelInvoicePaid" && e.state_changed && e.payload.billingId === bill)
          .map(() => "completed paid"),
        ...log
          .filter(
            (e) => e.type === "RondelInvoicePaymentFailed" && e.state_changed && e.payload.billingId === bill
          )
          .map(() => "rejected PaymentFailed")
      ]
      assert.strictEqual(
        outcomes.length,
        1,
        `paid move ${m.id}: ${outcomes.join(", ") || "no outcome"} (${replay})`
      )
      note(outcomes[0]!)
    }

    // Per game: moves handled in submission order, and the money adds up.
    const histories = new Map(yield* accountingHistories(sql))
    for (const gameId of games) {
      assert.deepStrictEqual(
        log.filter((e) => e.key === gameId && e.type === "Move").map((e) => e.message_id),
        moves.filter((m) => m.gameId === gameId).map((m) => m.id),
        `${gameId}: moves out of order (${replay})`
      )
      const state = (yield* accountingState(sql, gameId))!
      const held = Accounting.balances(state)
        .filter((b) => b.account !== "Bank")
        .reduce((sum, b) => sum + b.amount, 0)
      const paid = (histories.get(gameId)?.charges ?? [])
        .filter((c) => c.status === "Paid")
        .reduce((sum, c) => sum + c.amount, 0)
      assert.strictEqual(
        held,
        nations.length * startingBalance + (deposits.get(gameId) ?? 0) - paid,
        `${gameId}: money (${replay})`
      )
    }
    assert.deepStrictEqual(yield* convergenceProblems(sql), [], replay)

    // Determinism of replay, each context audited on its own tables: every key of both hosts, rebuilt from its own
    // audit log, equals its stored state, whatever was killed on the way.
    for (const definition of [RondelHost.definition, AccountingHost.definition]) {
      const reports = yield* watcher.run(Replay.verify(definition))
      assert.isAtLeast(reports.length, games.length, definition.name)
      assert.deepStrictEqual(
        reports.filter((report) => report.differences.length > 0 || report.problem !== undefined),
        [],
        `${definition.name}: keys whose replay differs from the stored state (${replay})`
      )
    }
    console.log(
      `[chaos] seed ${seed}: ${kills} kills, ${children.spawned()} host starts; ${moves.length} moves (${charged} charged): ${[
        ...fates
      ]
        .sort()
        .map(([fate, n]) => `${n} ${fate}`)
        .join(
          ", "
        )}; workload and kills ${sentAt - startedAt} ms, convergence ${settledAt - sentAt} ms (${where})`
    )
  })

// internal

/** The host processes, one per slot, with kill and restart; closing the scope kills every one left. */
const processes = (databaseFlags: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const running = new Map<number, ChildProcess>()
      const everyPid: Array<number> = []
      const up = new Map<number, boolean>()
      const waiters = new Map<number, Array<() => void>>()
      const output = new Map<number, string>()
      let starts = 0
      const spawnSlot = (slot: number) => {
        const current = running.get(slot)
        if (current !== undefined && current.exitCode === null && current.signalCode === null) return
        const child = spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            hostScript,
            slots[slot]!,
            ...databaseFlags.flatMap((flag) => ["--database-url", flag]),
            "--quiet",
            "--poll-ms",
            "50",
            "--exit-with-parent"
          ],
          // A deadline far away: this test judges loss and double charges of paid moves, not their timeouts.
          { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MAILROOM_PAYMENT_DEADLINE: "1 day" } }
        )
        starts++
        if (child.pid !== undefined) everyPid.push(child.pid)
        up.set(slot, false)
        let text = ""
        const keep = (chunk: Buffer) => {
          output.set(slot, ((output.get(slot) ?? "") + chunk.toString()).slice(-4000))
          // The process logs "<hosts> running (…); Ctrl-C to stop" once its hosts have started, even with --quiet.
          if (running.get(slot) !== child || up.get(slot)) return
          text = (text + chunk.toString()).slice(-4000)
          if (text.includes("Ctrl-C to stop")) {
            up.set(slot, true)
            for (const wake of waiters.get(slot)?.splice(0) ?? []) wake()
          }
        }
        child.stdout?.on("data", keep)
        child.stderr?.on("data", keep)
        running.set(slot, child)
      }
      const exited = (child: ChildProcess) =>
        Effect.async<void>((resume) => {
          if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
          child.once("exit", () => resume(Effect.void))
        })
      return {
        spawn: spawnSlot,
        /** Waits until the slot's current process is up (its hosts started). */
        ready: (slot: number) =>
          Effect.async<void>((resume) => {
            if (up.get(slot)) return resume(Effect.void)
            const wake = () => resume(Effect.void)
            const list = waiters.get(slot) ?? []
            waiters.set(slot, list)
            list.push(wake)
            return Effect.sync(() => {
              waiters.set(
                slot,
                (waiters.get(slot) ?? []).filter((other) => other !== wake)
              )
            })
          }),
        kill: (slot: number) =>
          Effect.suspend(() => {
            const child = running.get(slot)
            if (child === undefined) return Effect.void
            child.kill("SIGKILL")
            return exited(child)
          }),
        killAll: Effect.suspend(() =>
          Effect.forEach(
            [...running.values()],
            (child) => {
              child.kill("SIGKILL")
              return exited(child)
            },
            { discard: true }
          )
        ),
        alive: () => everyPid.filter(isAlive),
        spawned: () => starts,
        output: () => [...output.entries()]
      }
    }),
    (children) => children.killAll
  )

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A small seeded PRNG (mulberry32): the same seed gives the same workload and kill schedule. */
const mulberry32 = (state: number) => () => {
  state = (state + 0x6d2b79f5) | 0
  let t = Math.imul(state ^ (state >>> 15), 1 | state)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
