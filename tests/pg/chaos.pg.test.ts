import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Scope } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Relay from "../../src/commit/Relay.js"
import {
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
  sqlClient,
  start,
  startGame
} from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// Rondel (two processes) and Accounting (one process) run as OS processes of their own, as in production,
// and are killed with SIGKILL at random moments and restarted while a stream of moves arrives. Afterwards
// every move is completed or rejected with a reason, money is conserved, no billing id is charged twice net,
// nothing is parked. Set MAILROOM_CHAOS_SEED to replay a run's workload and kill schedule.

const seed = Number(process.env.MAILROOM_CHAOS_SEED ?? Date.now() % 2 ** 32)
const hostScript = fileURLToPath(new URL("../../hosts/sandbox/host.ts", import.meta.url))
const slots = ["rondel", "rondel", "accounting"] as const
const nations: Nations = ["Germany", "France", "Italy"]
const startingBalance = 4
const depositAmount = 3

describe("Chaos: host processes killed with SIGKILL and restarted", () => {
  it.scopedLive(
    `every move completes or is rejected, money is conserved, nothing is parked (seed ${seed})`,
    () =>
      Effect.gen(function* () {
        console.log(`[chaos] seed ${seed} (replay with MAILROOM_CHAOS_SEED=${seed})`)
        const startedAt = Date.now()
        const random = mulberry32(seed)
        const { url } = yield* freshDatabase()
        const sql = yield* sqlClient(url)
        // This process only submits and watches: no host runs here.
        const watcher = yield* start(ImperialApp.layerPostgresApplication({ url, local: [] }))
        const boundary = yield* watcher.run(CommitBoundary)

        const childrenScope = yield* Scope.make()
        const children = yield* Scope.extend(processes(url), childrenScope)
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

        // The kill schedule: a random process every 0.6-1.6 s, back after 0-300 ms.
        const stop = yield* Deferred.make<void>()
        let kills = 0
        const chaos = yield* Effect.fork(
          Effect.gen(function* () {
            while (!(yield* Deferred.isDone(stop))) {
              yield* Effect.sleep(`${600 + Math.floor(random() * 1000)} millis`)
              const slot = Math.floor(random() * slots.length)
              yield* children.kill(slot)
              kills++
              yield* Effect.sleep(`${Math.floor(random() * 300)} millis`)
              children.spawn(slot)
            }
          })
        )

        // The workload: games set up, then waves of moves (4-6 spaces past the nation's last target: paid
        // unless superseding) and deposits, each stored durably through the boundary.
        let sequence = 0
        const submit = (host: "rondel" | "accounting", message: Contracts.Message, key: string) => {
          const id = `chaos-${seed}-${++sequence}`
          return Effect.as(boundary.submit(host, envelopeOf(message, id, key)), id)
        }
        const games = Array.from({ length: 30 }, (_, i) => game(`chaos-${i}`))
        for (const gameId of games) {
          yield* submit("rondel", startGame(gameId, nations), gameId)
          yield* submit("accounting", open(gameId, nations, startingBalance), gameId)
        }
        const moves: Array<{ readonly id: string; readonly gameId: string; readonly space: string }> = []
        const deposits = new Map<string, number>()
        const target = new Map<string, number>()
        for (let wave = 0; wave < 20; wave++) {
          // One message per game and wave, submitted together; waves one after the other (per-game order).
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
            ({ host, gameId, message }) => submit(host, message, gameId),
            {
              concurrency: "unbounded"
            }
          )
          messages.forEach(({ gameId, message }, i) => {
            if (message._tag === "Move") moves.push({ id: ids[i]!, gameId, space: message.space })
          })
          yield* Effect.sleep("250 millis")
        }
        yield* Effect.sleep("1 second")
        yield* Deferred.succeed(stop, undefined)
        yield* Fiber.join(chaos)
        for (let i = 0; i < slots.length; i++) children.spawn(i)

        const submittedAt = Date.now()
        yield* eventually(
          "everything committed was processed",
          Effect.map(boundary.backlog, (n) => n === 0),
          30
        )
        const settledAt = Date.now()
        const parked = yield* watcher.run(Effect.flatMap(Relay.Relay, (relay) => relay.parked))
        yield* Scope.close(childrenScope, Exit.void)
        assert.deepStrictEqual(children.alive(), [], "host processes left running")
        assert.deepStrictEqual(parked, [], `parked (seed ${seed})`)

        // Every stored command was processed.
        const rondelInbox = yield* inbox(sql, "rondel")
        const accountingInbox = yield* inbox(sql, "accounting")
        const unprocessed = [...rondelInbox, ...accountingInbox].filter((r) => !r.processed)
        assert.deepStrictEqual(
          unprocessed.map((r) => r.message_id),
          [],
          `unprocessed (seed ${seed})`
        )
        const fromOutside = [...rondelInbox, ...accountingInbox].filter(
          (r) => r.envelope.causationId === r.message_id
        )
        assert.strictEqual(fromOutside.length, sequence, "every submitted command is stored once")

        // Every move has exactly one fate: completed (free or paid) or rejected with a reason.
        const log = yield* audit(sql, "rondel")
        const fates = new Map<string, number>()
        let charged = 0
        const note = (fate: string) => fates.set(fate, (fates.get(fate) ?? 0) + 1)
        for (const m of moves) {
          const handled = log.filter((e) => e.message_id === m.id)
          assert.strictEqual(handled.length, 1, `move ${m.id} handled ${handled.length} times (seed ${seed})`)
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
              assert.isDefined(rejection, `move ${m.id} has no outcome (seed ${seed})`)
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
              .filter(
                (e) => e.type === "RondelInvoicePaid" && e.state_changed && e.payload.billingId === bill
              )
              .map(() => "completed paid"),
            ...log
              .filter(
                (e) =>
                  e.type === "RondelInvoicePaymentFailed" && e.state_changed && e.payload.billingId === bill
              )
              .map(() => "rejected PaymentFailed")
          ]
          assert.strictEqual(
            outcomes.length,
            1,
            `paid move ${m.id}: ${outcomes.join(", ") || "no outcome"} (seed ${seed})`
          )
          note(outcomes[0]!)
        }

        // Per game: moves handled in submission order, and the money adds up.
        for (const gameId of games) {
          assert.deepStrictEqual(
            log.filter((e) => e.key === gameId && e.type === "Move").map((e) => e.message_id),
            moves.filter((m) => m.gameId === gameId).map((m) => m.id),
            `${gameId}: moves out of order (seed ${seed})`
          )
          const state = (yield* accountingState(sql, gameId))!
          const held = Accounting.balances(state)
            .filter((b) => b.account !== "Bank")
            .reduce((sum, b) => sum + b.amount, 0)
          const paid = state.charges.filter((c) => c.status === "Paid").reduce((sum, c) => sum + c.amount, 0)
          assert.strictEqual(
            held,
            nations.length * startingBalance + (deposits.get(gameId) ?? 0) - paid,
            `${gameId}: money (seed ${seed})`
          )
        }
        assert.deepStrictEqual(yield* convergenceProblems(sql), [], `seed ${seed}`)
        console.log(
          `[chaos] seed ${seed}: ${kills} kills, ${children.spawned()} host starts; ${moves.length} moves (${charged} charged): ${[
            ...fates
          ]
            .sort()
            .map(([fate, n]) => `${n} ${fate}`)
            .join(", ")}; workload ${submittedAt - startedAt} ms, convergence ${settledAt - submittedAt} ms`
        )
      }),
    90_000
  )
})

// internal

/** The host processes, one per slot, with kill and restart; closing the scope kills every one left. */
const processes = (url: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const running = new Map<number, ChildProcess>()
      const everyPid: Array<number> = []
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
            "--database-url",
            url,
            "--quiet",
            "--poll-ms",
            "50",
            "--exit-with-parent"
          ],
          { stdio: ["ignore", "pipe", "pipe"] }
        )
        starts++
        if (child.pid !== undefined) everyPid.push(child.pid)
        const keep = (chunk: Buffer) =>
          output.set(slot, ((output.get(slot) ?? "") + chunk.toString()).slice(-4000))
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
