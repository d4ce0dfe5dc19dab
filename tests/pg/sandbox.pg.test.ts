import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Redacted } from "effect"
import * as JsonMode from "../../hosts/sandbox/JsonMode.js"
import * as Render from "../../hosts/sandbox/Render.js"
import type * as Result from "../../hosts/sandbox/Result.js"
import * as Session from "../../hosts/sandbox/Session.js"
import * as Store from "../../hosts/sandbox/Store.js"
import * as Style from "../../hosts/sandbox/Style.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Progress from "../../src/testing/internal/progress.js"
import { comparable, wholeGame } from "../sandbox/script.js"
import { events, type Line, names, paidTrip, results, run, step } from "../sandbox/support.js"
import { settle } from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// The sandbox over the Postgres store (a database of its own per test): the JSON mode gives the same lines as in
// memory, and the delivery commands show what waits in the outboxes and inboxes.

const postgres = (url: string): Store.StoreChoice => ({ _tag: "postgres", databaseUrl: Redacted.make(url) })

/** Runs a script in JSON mode on a fresh database, with ids minted under `prefix` as `npm start` would. */
const runOnPostgres = (lines: ReadonlyArray<string>, prefix: string) =>
  Effect.scoped(
    Effect.flatMap(freshDatabase(), ({ url }) =>
      Effect.map(
        // A step that does not settle within stepTimeout prints a warning (asserted absent below): the default
        // 10 s is a hang guard a loaded machine can reach; slower is not stuck.
        JsonMode.runLines(
          lines,
          { session: { balance: 20, idPrefix: prefix }, stepTimeout: "2 minutes" },
          postgres(url)
        ),
        (out) => out.map((line) => JSON.parse(line) as Line)
      )
    )
  )

describe("sandbox on Postgres", () => {
  it.live("the same script in Postgres mode gives the same events", () =>
    Effect.gen(function* () {
      // Postgres mode mints ids under a fresh random prefix on every run (its inboxes remember old ids).
      const prefix = `s${Math.random().toString(16).slice(2, 10)}`
      const onMemory = yield* run(wholeGame("m"))
      const onPostgres = yield* runOnPostgres(wholeGame(prefix), prefix)
      const memory = comparable(onMemory, "m")
      const durable = comparable(onPostgres, prefix)

      assert.deepStrictEqual(durable.lines, memory.lines)
      // The one designed difference: a repeated message id reaches the memory host (which changes nothing), while
      // the Postgres inbox drops it at the door, so nothing is handled and no line is written.
      assert.deepStrictEqual(
        memory.repeats.map((line) => [line.host, line.messageId, line.stateChanged]),
        [
          ["rondel", "dup-1", false],
          ["accounting", "dep-1", false]
        ]
      )
      assert.deepStrictEqual(durable.repeats, [])

      // Not equal by being empty: the Postgres run shows the whole flow, with its own ids.
      assert.strictEqual(results(onPostgres).length, wholeGame(prefix).length)
      assert.deepStrictEqual(events(onPostgres, "Notice"), [])
      assert.deepStrictEqual(names(step(onPostgres, "move", 2).events), paidTrip)
      assert.deepInclude(step(onPostgres, "move", 2).events[4], {
        event: "RondelInvoicePaid",
        billingId: `bill-${prefix}-5`,
        messageId: `${prefix}-5.1.0`,
        causationId: `${prefix}-5.1`
      })
      assert.deepStrictEqual(
        step(onPostgres, "reconcile", 0).result.pendingMovements.map((m: Line) => [m.nation, m.billingId]),
        [["Germany", `bill-${prefix}-10`]]
      )
      assert.deepInclude(events(step(onPostgres, "move", 7).events, "RondelChargeRefunded")[0], {
        billingId: `bill-${prefix}-10`
      })
      assert.isAtLeast(events(onPostgres, "HostRestarted").length, 1)
      assert.deepStrictEqual(
        step(onPostgres, "send", 2).events,
        [],
        "the repeated dup-1 is dropped by rondel's inbox"
      )
    })
  )

  it.live("outbox, inbox and reconcile list what waits, with attempts, last error and age", () =>
    Effect.gen(function* () {
      const session = yield* Session.make({ balance: 10, idPrefix: "t" })
      const faults = yield* Faults.Faults
      const exec = (line: string) =>
        Effect.flatMap(
          Either.match(session.parse(line)!.command, {
            onLeft: (error) => Effect.die(error),
            onRight: (command) => Effect.succeed(command)
          }),
          session.execute
        )
      const rowsOf = (result: Result.Result) =>
        result.command === "outbox" || result.command === "inbox" ? result.rows : []

      const refused = yield* Effect.flip(exec("fault publish"))
      assert.strictEqual((refused as { readonly _tag: string })._tag, "NotAvailable")
      yield* exec("new-game Germany --balance 10")
      yield* exec("move Germany Investor")
      yield* settle
      const empty = yield* exec("inbox")
      assert.deepStrictEqual(rowsOf(empty), [])
      assert.deepInclude(empty, { command: "inbox", limit: 20 })

      // Every commit of rondel fails: the stored Move waits in rondel's inbox and the relay retries it.
      yield* faults.arm("save", 1000, "rondel")
      const sentAt = Date.now()
      yield* exec("move Germany Factory")
      const inbox = yield* until(
        exec("inbox"),
        (r) => rowsOf(r).some((row) => row.attempts >= 2),
        "a Move retried after its backoff"
      )
      const [waiting] = rowsOf(inbox)
      assert.deepInclude(waiting, {
        host: "rondel",
        box: "inbox",
        messageId: "t-4",
        type: "Move",
        gameId: "game-1",
        peer: "external"
      })
      assert.include(waiting!.lastError, "injected save failure")
      // The second attempt comes at least half the relay's first backoff (100 ms) after the first: the row is at
      // least that old, and no older than the command that stored it.
      assert.isAtLeast(waiting!.ageMillis, 50)
      assert.isAtMost(waiting!.ageMillis, Date.now() - sentAt)
      assert.deepInclude(inbox.command === "inbox" ? inbox.hosts[0] : undefined, {
        host: "rondel",
        pending: 1
      })
      const inboxText = Render.result(inbox, Style.plain)
      assert.match(
        inboxText,
        /^rondel\s+t-4\s+Move\s+game-1\s+external\s+\d+\s+PersistenceError: injected save failure/m
      )
      yield* faults.clear
      yield* settle

      // The relay cannot move rows: the next paid move commits, and its charge waits in rondel's outbox.
      yield* faults.arm("relay", 1_000_000)
      yield* exec("move Germany Import")
      const outbox = yield* until(exec("outbox"), (r) => rowsOf(r).length > 0, "a charge in the outbox")
      assert.deepStrictEqual(
        rowsOf(outbox).map(({ ageMillis: _, ...row }) => row),
        [
          {
            host: "rondel",
            box: "outbox",
            messageId: "t-5.1",
            type: "ChargeMovement",
            gameId: "game-1",
            peer: "accounting",
            attempts: 0,
            lastError: null
          }
        ]
      )
      assert.match(
        Render.result(outbox, Style.plain),
        /^rondel\s+t-5\.1\s+ChargeMovement\s+game-1\s+accounting\s+0\s+\S+$/m
      )
      const stuck = yield* exec("reconcile --older-than 0s")
      assert.deepStrictEqual(
        stuck.command === "reconcile"
          ? stuck.pendingMovements.map((m) => [m.nation, m.target, m.billingId])
          : [],
        [["Germany", "Import", "bill-t-5"]]
      )
      assert.deepInclude(yield* exec("reconcile"), { pendingMovements: [], parked: [] })

      yield* faults.clear
      yield* settle
      assert.deepStrictEqual(rowsOf(yield* exec("outbox")), [])
      assert.deepStrictEqual(rowsOf(yield* exec("inbox")), [])
      assert.deepInclude(yield* exec("reconcile --older-than 0s"), { pendingMovements: [], parked: [] })
      const positions = yield* exec("positions")
      assert.deepStrictEqual(positions.command === "positions" ? positions.positions[0] : undefined, {
        nation: "Germany",
        current: "Import",
        pending: null
      })
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.unwrapScoped(Effect.map(freshDatabase(), ({ url }) => Store.layer(postgres(url)))))
    )
  )
})

// internal

/**
 * Runs `effect` until `done` holds for its result. It fails when the hosts did nothing for a minute (no message
 * handled or failed, no crash), not after a fixed time: on a loaded machine work is slower, not stuck.
 */
const until = <A, E, R>(effect: Effect.Effect<A, E, R>, done: (a: A) => boolean, what: string) =>
  Effect.gen(function* () {
    let value: A | undefined
    const look = Effect.gen(function* () {
      value = yield* effect
      return { done: done(value), progress: yield* Progress.attempts }
    })
    yield* Progress.until(what, look).pipe(
      Effect.catchIf(
        (error): error is Progress.Stalled => error instanceof Progress.Stalled,
        (stalled) => Effect.dieMessage(stalled.message)
      )
    )
    return value as A
  })
