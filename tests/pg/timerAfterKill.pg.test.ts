import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Reconcile from "../../hosts/sandbox/Reconcile.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Relay from "../../src/commit/Relay.js"
import {
  audit,
  envelopeOf,
  eventually,
  game,
  inbox,
  move,
  sqlClient,
  start,
  startGame
} from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// Issue #17, done when: a timer scheduled before a SIGKILL of every process fires after restart. Only Rondel runs,
// as an OS process of its own (no Accounting process: a paid move's ChargeMovement is never answered). A paid move
// schedules Rondel's payment deadline in Rondel's outbox; the process is killed with SIGKILL before it falls due;
// once the due time has passed with nothing running, a new Rondel process delivers the deadline at start: the move
// is rejected with PaymentTimedOut and the charge voided, exactly once.

const hostScript = fileURLToPath(new URL("../../hosts/sandbox/host.ts", import.meta.url))
// Long enough for the test to see the row, read the stats and kill the process before it falls due on a loaded
// machine (each of those can take seconds there), short enough to pass while everything is down.
const paymentDeadline = "10 seconds"

describe("A timer scheduled before a SIGKILL of every process", () => {
  it.scopedLive(
    "fires after restart: the payment deadline rejects the move and voids the charge, once",
    () =>
      Effect.gen(function* () {
        const { url } = yield* freshDatabase()
        const sql = yield* sqlClient(url)
        // This process only sends and watches: no host runs here.
        const frontDoor = yield* start(ImperialApp.layerPostgresApplication({ url, local: [] }))
        const boundary = yield* frontDoor.run(CommitBoundary)
        const children = yield* rondelProcesses(url)

        const gameId = game("killed-timer")
        const accept = (message: Contracts.Message, id: string) =>
          boundary.accept("rondel", envelopeOf(message, id, gameId))
        const moveId = `${gameId}-paid`
        const deadlineId = `${moveId}.t0`
        yield* accept(startGame(gameId, ["Germany"]), `${gameId}-start`)
        // The first move is free, the second (Investor to Factory) is paid: it awaits payment and schedules the deadline.
        yield* accept(move(gameId, "Germany", "Investor"), `${gameId}-first`)
        yield* accept(move(gameId, "Germany", "Factory"), moveId)

        const first = children.spawn()
        const scheduled = () =>
          sql.unsafe<{ readonly due: boolean }>(
            `SELECT now() >= due_at AS due FROM rondel.outbox
             WHERE message_id = $1 AND type = 'PaymentDeadline' AND due_at IS NOT NULL
               AND delivered_at IS NULL AND parked_at IS NULL`,
            [deadlineId]
          )
        yield* eventually(
          sql,
          "the payment deadline scheduled in Rondel's outbox",
          Effect.map(scheduled(), (rows) => rows.length === 1)
        )
        // Operations (item 6): the relay's stats count it as scheduled, not overdue.
        const timerStats = frontDoor.run(
          Effect.map(
            Effect.flatMap(Relay.Relay, (relay) => relay.stats),
            (all) =>
              all
                .filter((s) => s.host === "rondel")
                .map((s) => ({ scheduled: s.scheduled, overdue: s.overdue }))
          )
        )
        const scheduledFirst = yield* timerStats
        yield* children.kill(first)
        assert.isTrue(first.signalCode === "SIGKILL", "the Rondel process was killed with SIGKILL")
        // Killed before it fell due: the deadline is still in the outbox, not delivered, not handled.
        const before = yield* scheduled()
        assert.strictEqual(before.length, 1, "the deadline is still scheduled after the kill")
        assert.isFalse(
          before[0]!.due,
          "the process was killed before the deadline fell due; raise paymentDeadline"
        )
        assert.deepStrictEqual(
          (yield* audit(sql, "rondel")).filter((e) => e.message_id === deadlineId),
          [],
          "the deadline was not handled before the kill"
        )

        // Nothing runs while the deadline falls due.
        yield* eventually(
          sql,
          "the deadline's due time to pass with every process down",
          Effect.map(scheduled(), (rows) => rows.length === 1 && rows[0]!.due)
        )

        // While every process is down: overdue in the stats, and listed by reconcile.
        assert.deepStrictEqual(scheduledFirst, [{ scheduled: 1, overdue: 0 }], "scheduled before the kill")
        assert.deepStrictEqual(yield* timerStats, [{ scheduled: 0, overdue: 1 }], "overdue while down")
        const report = yield* frontDoor.run(Reconcile.reconcile("0 millis"))
        assert.deepStrictEqual(
          report.overdueTimers.map((t) => [t.messageId, t.host, t.destination, t.type, t.key, t.causationId]),
          [[deadlineId, "rondel", "rondel", "PaymentDeadline", gameId, moveId]]
        )

        yield* Effect.sync(() => children.spawn())
        const deadlineEntries = audit(sql, "rondel").pipe(
          Effect.map((log) => log.filter((e) => e.message_id === deadlineId))
        )
        yield* eventually(
          sql,
          "the restarted Rondel to handle the deadline",
          Effect.map(deadlineEntries, (entries) => entries.length > 0)
        )
        const voidCharges = () =>
          sql.unsafe<{ readonly n: string }>(
            // Counted by message id: once the relay has handed it over, the same VoidCharge is both in Rondel's
            // outbox (marked delivered) and in Accounting's inbox.
            `SELECT count(DISTINCT message_id) AS n FROM (
               SELECT message_id FROM rondel.outbox WHERE type = 'VoidCharge' AND key = $1
               UNION ALL SELECT message_id FROM accounting.inbox WHERE type = 'VoidCharge' AND key = $1) AS sent`,
            [gameId]
          )
        yield* eventually(
          sql,
          "the VoidCharge in Rondel's outbox (or already handed to Accounting's inbox)",
          Effect.map(voidCharges(), (rows) => Number(rows[0]!.n) >= 1)
        )

        const entries = yield* deadlineEntries
        assert.strictEqual(entries.length, 1, "the deadline was handled exactly once")
        assert.isTrue(entries[0]!.state_changed)
        assert.deepStrictEqual(
          entries[0]!.events.map((e) => [e.type, (e.payload as { reason?: string }).reason]),
          [["MoveToActionSpaceRejected", "PaymentTimedOut"]]
        )
        assert.deepStrictEqual(
          entries[0]!.commands.map((c) => c.type),
          ["VoidCharge"]
        )
        assert.strictEqual(Number((yield* voidCharges())[0]!.n), 1, "one VoidCharge")
        const delivered = (yield* inbox(sql, "rondel")).filter((row) => row.message_id === deadlineId)
        assert.deepStrictEqual(
          delivered.map((row) => [row.type, row.processed, row.parked]),
          [["PaymentDeadline", true, false]],
          "the deadline arrived in Rondel's inbox once"
        )
        // The consumer's transaction records and handles the deadline; the producer's outbox row is marked delivered
        // after it, in the relay's next step (a loaded machine once saw the row still pending at this point).
        yield* eventually(
          sql,
          "Rondel's outbox row of the deadline to be marked delivered",
          Effect.map(scheduled(), (rows) => rows.length === 0)
        )
        assert.deepStrictEqual(yield* timerStats, [{ scheduled: 0, overdue: 0 }], "nothing left scheduled")
        assert.deepStrictEqual((yield* frontDoor.run(Reconcile.reconcile("0 millis"))).overdueTimers, [])
        yield* children.stop
        assert.deepStrictEqual(children.alive(), [], "host processes left running")
      }),
    // A backstop against a hang; the waits are judged by progress.
    300_000
  )
})

// internal

/** Rondel host processes on the database; every one started is killed (SIGKILL) when the scope closes. */
const rondelProcesses = (url: string) =>
  Effect.gen(function* () {
    const started: Array<ChildProcess> = []
    const output: Array<string> = []
    const exited = (child: ChildProcess) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
      })
    const kill = (child: ChildProcess) =>
      Effect.suspend(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        return exited(child)
      })
    const stop = Effect.forEach(started, kill, { discard: true })
    yield* Effect.addFinalizer((exit) =>
      Effect.zipRight(
        Exit.isFailure(exit)
          ? Effect.sync(() => {
              output.forEach((text, i) => {
                console.log(`[timerAfterKill] rondel #${i}:\n${text}`)
              })
            })
          : Effect.void,
        stop
      )
    )
    return {
      spawn: () => {
        const child = spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            hostScript,
            "rondel",
            "--database-url",
            url,
            "--quiet",
            "--poll-ms",
            "50",
            "--exit-with-parent"
          ],
          {
            stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, MAILROOM_PAYMENT_DEADLINE: paymentDeadline }
          }
        )
        const slot = started.length
        started.push(child)
        output.push("")
        const keep = (chunk: Buffer) => {
          output[slot] = (output[slot] + chunk.toString()).slice(-4000)
        }
        child.stdout?.on("data", keep)
        child.stderr?.on("data", keep)
        return child
      },
      kill,
      stop,
      alive: () =>
        started.flatMap((child) => (child.pid !== undefined && isAlive(child.pid) ? [child.pid] : []))
    }
  })

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
