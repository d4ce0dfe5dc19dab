import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Fiber, Layer } from "effect"
import { PassThrough } from "node:stream"
import * as Commands from "../../hosts/sandbox/Commands.js"
import * as Interactive from "../../hosts/sandbox/Interactive.js"
import * as JsonMode from "../../hosts/sandbox/JsonMode.js"
import * as Render from "../../hosts/sandbox/Render.js"
import type * as Result from "../../hosts/sandbox/Result.js"
import * as Session from "../../hosts/sandbox/Session.js"
import * as Boundary from "../../hosts/sandbox/Boundary.js"
import * as Placement from "../../src/pg/Placement.js"
import * as Style from "../../hosts/sandbox/Style.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Progress from "../../src/testing/internal/progress.js"
import { jsonLines, sandbox } from "../sandbox/child.js"
import { comparable, wholeGame } from "../sandbox/script.js"
import { events, type Line, names, paidTrip, results, run, step } from "../sandbox/support.js"
import { settle } from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// The sandbox over the Postgres boundary (a database of its own per test): the JSON mode gives the same lines as in
// memory, and the delivery commands show what waits in the outboxes and inboxes.

const postgres = (url: string): Boundary.BoundaryChoice => ({
  _tag: "postgres",
  placement: Placement.single(url)
})

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
      // What may repeat on Postgres is an internal redelivery (the handover and the relay both delivered a message,
      // at-least-once), which the inbox drops and the feed reports as a duplicate that changed nothing; never a
      // message the script sent again under its id.
      assert.deepStrictEqual(
        durable.repeats.filter(
          (line) =>
            line.duplicate !== true ||
            line.stateChanged !== false ||
            ["dup-1", "dep-1"].includes(line.messageId)
        ),
        []
      )

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
      // Each of the two crashes is its own restart line, as in memory (not a sampled total).
      assert.deepStrictEqual(
        events(onPostgres, "HostRestarted").map((line) => [
          line.host,
          line.type,
          line.attempts,
          line.restarts
        ]),
        [
          ["accounting", "Deposit", 1, 1],
          ["accounting", "Deposit", 2, 2]
        ]
      )
      assert.deepStrictEqual(
        step(onPostgres, "send", 2).events,
        [],
        "the repeated dup-1 is dropped by rondel's inbox"
      )
    })
  )

  it.live(
    "npm start -- --json --boundary postgres: every stdout line is JSON through crashes and relay faults",
    () =>
      Effect.gen(function* () {
        const { url } = yield* freshDatabase()
        const script = [
          "new-game Germany",
          "move Germany Investor",
          "fault crash-accounting 3",
          "move Germany Factory",
          // The relay's next rounds fail and it logs a warning each time: the warnings go to stderr.
          "fault relay 2",
          "move Germany Import",
          "redrive nothing-1",
          "positions",
          "stats",
          ""
        ].join("\n")
        const ran = yield* Effect.promise(() =>
          sandbox(["--json", "--boundary", "postgres", "--database-url", url, "--id-prefix", "pj"], script)
        )
        assert.strictEqual(ran.code, 0, ran.stderr)
        const lines = jsonLines(ran.stdout)
        assert.deepStrictEqual(
          lines.filter((line) => "ok" in line).map((line) => [line.command, line.ok]),
          [
            ["new-game", true],
            ["move", true],
            ["fault", true],
            ["move", true],
            ["fault", true],
            ["move", true],
            ["redrive", false],
            ["positions", true],
            ["stats", true]
          ]
        )
        assert.deepStrictEqual(
          lines
            .filter((line) => line.event === "HostRestarted")
            .map((line) => [line.messageId, line.attempts]),
          [
            ["pj-4.1", 1],
            ["pj-4.1", 2],
            ["pj-4.1", 3]
          ]
        )
        assert.deepInclude(
          lines.find((line) => line.event === "HandedBackToRelay"),
          {
            host: "accounting",
            messageId: "pj-4.1",
            attempts: 3
          }
        )
        assert.deepInclude(lines.find((line) => line.command === "positions")!.positions[0], {
          nation: "Germany",
          current: "Import",
          pending: null
        })
        assert.match(ran.stderr, /\[WARN\] relay forward (rondel|accounting): round failed/)
        assert.include(ran.stderr, "InjectedFault: injected relay failure")
      }).pipe(Effect.scoped)
  )

  it.live(
    "fault crash-accounting 3 as help fault says for Postgres: back to the relay, then handled; nothing parked",
    () =>
      Effect.gen(function* () {
        const prefix = `s${Math.random().toString(16).slice(2, 10)}`
        const out = yield* runOnPostgres(
          [
            "new-game Germany",
            "move Germany Investor",
            "fault crash-accounting 3",
            "move Germany Factory",
            "parked",
            "positions"
          ],
          prefix
        )
        const paid = step(out, "move", 1).events
        assert.deepStrictEqual(
          names(paid).filter((name) => name === "HostRestarted" || name === "HandedBackToRelay"),
          ["HostRestarted", "HostRestarted", "HostRestarted", "HandedBackToRelay"]
        )
        assert.deepInclude(events(paid, "HandedBackToRelay")[0], {
          host: "accounting",
          type: "ChargeMovement",
          messageId: `${prefix}-4.1`,
          attempts: 3,
          relayMaxAttempts: Commands.relayMaxAttempts
        })
        assert.deepStrictEqual(events(paid, "MessageParked"), [])
        assert.include(names(paid), "ActionDetermined")
        assert.deepStrictEqual(step(out, "parked").result.parked, [])
        assert.deepInclude(step(out, "positions").result.positions[0], { current: "Factory", pending: null })
      })
  )

  it.live(
    "quit while a relay fault holds a charge: the drain says what waits, and Ctrl-C leaves at once",
    () =>
      Effect.gen(function* () {
        const input = new PassThrough()
        const output = new PassThrough()
        let text = ""
        const drainingShown = yield* Deferred.make<void>()
        output.on("data", (chunk) => {
          text += String(chunk)
          if (text.includes("still draining after")) Deferred.unsafeDone(drainingShown, Exit.void)
        })
        const session = yield* Effect.fork(
          Interactive.run({
            session: { balance: 10, idPrefix: "q" },
            style: Style.plain,
            input,
            output,
            terminal: true,
            // Longer than the test may run: only Ctrl-C can end this drain.
            drainTimeout: "1 hour"
          })
        )
        input.write(
          [
            "new-game Germany",
            "move Germany Investor",
            "fault relay 1000000",
            "move Germany Factory",
            "quit",
            ""
          ].join("\r")
        )
        yield* Deferred.await(drainingShown)
        input.write("\x03")
        const outcome = yield* Fiber.join(session)

        assert.strictEqual(outcome, "left")
        assert.match(
          text,
          /still draining after \d+s: 1 committed message not yet delivered \(rondel outbox 1\)/
        )
        assert.include(text, "fault relay x")
        assert.include(
          text,
          "NotDrained: left without draining: 1 committed message not yet delivered (rondel outbox 1)"
        )
        assert.include(text, "it stays stored, and the next start delivers it")
      }).pipe(
        Effect.scoped,
        Effect.provide(
          Layer.unwrapScoped(Effect.map(freshDatabase(), ({ url }) => Boundary.layer(postgres(url))))
        )
      )
  )

  it.live("npm start -- --json: a drain that gives up says what is left and exits 3", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      const script = [
        "new-game Germany",
        "move Germany Investor",
        "fault relay 1000000",
        "move Germany Factory",
        ""
      ]
      const ran = yield* Effect.promise(() =>
        sandbox(
          ["--json", "--boundary", "postgres", "--database-url", url, "--step-timeout", "1s"],
          script.join("\n")
        )
      )
      assert.strictEqual(ran.code, 3, ran.stderr)
      const notices = jsonLines(ran.stdout).filter((line) => line.event === "Notice")
      // The paid move's own wait and the final drain both give up, naming what waits.
      assert.isAtLeast(notices.length, 2)
      assert.include(
        notices[notices.length - 1]!.message,
        "still pending: 1 committed message not yet delivered"
      )
      assert.include(notices[notices.length - 1]!.message, "rondel outbox 1")
    }).pipe(Effect.scoped)
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
      Effect.provide(
        Layer.unwrapScoped(Effect.map(freshDatabase(), ({ url }) => Boundary.layer(postgres(url))))
      )
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
