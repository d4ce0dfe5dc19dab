import { HttpApiBuilder, HttpServer } from "@effect/platform"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, type Context, Effect, Layer, Redacted, Schedule } from "effect"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Mailroom from "../../src/cli/Mailroom.js"
import * as Stdio from "../../src/cli/Stdio.js"
import * as Topology from "../../src/cli/Topology.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Console from "../../src/console/Console.js"
import { ConsoleApi } from "../../src/console/ConsoleApi.js"
import * as PgJournal from "../../src/pg/PgJournal.js"
import * as Placement from "../../src/pg/Placement.js"
import { runProgram } from "../sandbox/child.js"
import {
  envelopeOf,
  eventually,
  game,
  move,
  parkingRelay,
  paymentDeadline,
  settle,
  setting,
  startGame
} from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// The operator command against a database after a paid move whose charge the relay parked: status, show (the history
// through Accounting and back), lanes, flows --stuck-for, parked, redrive; then the flow completes. A few commands run
// as `npm run mailroom` does, as a child process reading the database while the application runs; the rest run the
// same command in this process (its output and exit status captured), which spares seconds of start-up each.

/** `npm run mailroom -- <args>` as a child process. */
const mailroom = (url: string, args: ReadonlyArray<string>) =>
  Effect.promise(() =>
    runProgram("hosts/sandbox/mailroom.ts", [...args, "--database-url", url], "", { DATABASE_URL: "" })
  )

/** The same command run in this process: what it wrote to stdout and stderr, and its exit status. */
const operator = (url: string, args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const ran = { code: 0, stdout: "", stderr: "" }
    const stdio: Stdio.StdioService = {
      out: (text) => {
        ran.stdout += text
      },
      err: (text) => {
        ran.stderr += text
      },
      styled: () => false,
      exit: (code) => {
        ran.code = code
      }
    }
    const topology = yield* Effect.orDie(Topology.of("the reference application", ImperialApp.definitions))
    yield* Mailroom.main(["node", "mailroom", ...args, "--database-url", url], { topology }).pipe(
      Effect.provideService(Stdio.Stdio, stdio),
      // As the child gets it: no DATABASE_URL of this test run's own.
      Effect.withConfigProvider(
        ConfigProvider.orElse(ConfigProvider.fromMap(new Map([["DATABASE_URL", ""]])), ConfigProvider.fromEnv)
      )
    )
    return ran
  })

const json = (url: string, args: ReadonlyArray<string>) =>
  Effect.map(operator(url, [...args, "--json"]), (ran) => {
    assert.strictEqual(ran.code, 0, ran.stderr)
    return JSON.parse(ran.stdout) as Record<string, any>
  })

/**
 * Both hosts on a fresh database (one relay attempt: a failing message is parked at once), and a game whose second
 * move was paid. The payment deadline is far away: the operator commands take seconds each on a loaded machine (child
 * processes most of all), and a deadline firing meanwhile would change the flows they show.
 */
const operatedGame = Effect.gen(function* () {
  const { url } = yield* freshDatabase()
  const context = yield* Layer.build(
    ImperialApp.layerPostgres({
      url,
      paymentDeadline,
      relay: parkingRelay(1),
      system: { defaults: { backoff: Schedule.spaced("1 millis") } }
    })
  )
  const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provide(effect, context as Context.Context<R>)
  const rondel = yield* run(RondelClient.RondelClient)
  const accounting = yield* run(AccountingClient.AccountingClient)
  const gameId = "operated-1" as GameId.GameId
  yield* rondel.send({ _tag: "SetToStartingPositions", gameId, nations: ["Germany"] })
  yield* accounting.send({ _tag: "OpenAccounts", gameId, nations: ["Germany"], startingBalance: 20 })
  yield* rondel.send({ _tag: "Move", gameId, nation: "Germany", space: "Investor" })
  const paid = yield* rondel.send({ _tag: "Move", gameId, nation: "Germany", space: "Factory" })
  yield* run(settle)
  return { url, run, rondel, gameId, paid }
})

describe("mailroom, the operator command, on Postgres", () => {
  it.live("a paid move's history through Accounting and back; a parked charge found, redriven, handled", () =>
    Effect.gen(function* () {
      const { url, run, rondel, gameId, paid } = yield* operatedGame
      const faults = yield* run(Faults.Faults)

      const status = yield* json(url, ["status"])
      assert.deepStrictEqual(
        status.hosts.map((h: any) => [h.host, h.backlog, h.parked, h.unreachable]),
        [
          ["rondel", 0, 0, undefined],
          ["accounting", 0, 0, undefined]
        ]
      )
      const charge = `${paid.messageId}.1`
      const history = yield* json(url, ["show", charge])
      assert.deepStrictEqual(
        history.causes.map((s: any) => s.envelope.messageId),
        [paid.messageId]
      )
      assert.deepStrictEqual(
        history.step.deliveries.map((d: any) => [d.host, d.fate]),
        [["accounting", "handled"]]
      )
      assert.deepStrictEqual(
        history.produced.map((s: any) => [s.envelope.type, s.producer, s.deliveries.map((d: any) => d.fate)]),
        [
          ["RondelInvoicePaid", "accounting", ["handled"]],
          ["ActionDetermined", "rondel", []]
        ]
      )
      const text = yield* mailroom(url, ["show", paid.messageId])
      assert.strictEqual(text.code, 0, text.stderr)
      assert.include(text.stdout, `ChargeMovement ${charge} (command by rondel) → accounting: handled`)
      assert.include(text.stdout, `RondelInvoicePaid ${charge}.0 (event by accounting) → rondel: handled`)
      const lanes = yield* operator(url, ["show", paid.messageId, "--lanes"])
      assert.match(lanes.stdout, /outside\s+rondel\s+accounting/)
      assert.match(lanes.stdout, /■◀─+● +RondelInvoicePaid/)

      // The next paid move's charge crashes Accounting's handler every time: the supervisor hands it back to the
      // relay, which parks it after its one attempt.
      yield* faults.armCrash({ host: "accounting", type: "ChargeMovement" }, 1000)
      const stuck = yield* rondel.send({ _tag: "Move", gameId, nation: "Germany", space: "ManeuverOne" })
      yield* run(settle)
      const parked = yield* json(url, ["parked"])
      assert.deepStrictEqual(
        parked.parked.map((p: any) => [p.host, p.where, p.messageId, p.correlationId]),
        [["accounting", "inbox", `${stuck.messageId}.1`, stuck.messageId]]
      )
      const flows = yield* json(url, ["flows", "--stuck-for", "0s"])
      assert.deepStrictEqual(
        flows.flows.map((f: any) => [f.correlationId, f.status, f.parked]),
        [[stuck.messageId, "parked", 1]]
      )
      // While the charge is parked, the move's payment deadline waits in Rondel's outbox for its due time.
      const waiting = yield* json(url, ["show", stuck.messageId])
      const deadline = waiting.produced.find((s: any) => s.envelope.type === "PaymentDeadline")
      assert.deepStrictEqual(
        [deadline.kind, deadline.producer, deadline.deliveries.map((d: any) => [d.host, d.fate])],
        ["timer", "rondel", [["rondel", "scheduled"]]]
      )
      assert.isAbove(deadline.dueAt, stuck.occurredAt)
      yield* faults.clear
      const redriven = yield* mailroom(url, ["redrive", "--all-of", "ChargeMovement"])
      assert.strictEqual(redriven.code, 0, redriven.stderr)
      assert.include(redriven.stdout, `redriven 1 parked ChargeMovement message: ${stuck.messageId}.1`)
      yield* run(settle)
      const after = yield* json(url, ["show", stuck.messageId])
      assert.deepStrictEqual(
        after.produced.map((s: any) => [s.envelope.type, s.deliveries.map((d: any) => d.fate)]),
        [
          ["MovementAwaitingPayment", []],
          ["ChargeMovement", ["handled"]],
          ["RondelInvoicePaid", ["handled"]],
          ["ActionDetermined", []],
          ["PaymentDeadline", ["cancelled"]]
        ]
      )
      assert.deepStrictEqual((yield* json(url, ["flows", "--stuck-for", "0s"])).flows, [])
    }).pipe(Effect.scoped)
  )

  it.live(
    "bad input and unknown ids; migrate --sql; replay --verify finds a state changed behind the hosts' backs",
    () =>
      Effect.gen(function* () {
        const { url, gameId } = yield* operatedGame
        // Bad input: exit 2 with the usage; an unknown id: exit 1 saying so.
        const bad = yield* mailroom(url, ["flows", "--stuck-for", "soon"])
        assert.strictEqual(bad.code, 2)
        assert.include(bad.stderr, "--stuck-for must be a duration")
        const unknown = yield* operator(url, ["show", "no-such-id"])
        assert.strictEqual(unknown.code, 1)
        assert.include(unknown.stderr, 'no host recorded or holds message "no-such-id"')
        const upToDate = yield* operator(url, ["migrate", "--sql"])
        assert.include(upToDate.stdout, "-- nothing to run")

        // replay --verify: every stored state equals what its audit log replays to; a state changed behind the
        // hosts' backs differs (exit 1, naming the key and the field); bad usage exits 2.
        const verified = yield* json(url, ["replay", "--verify"])
        assert.isTrue(verified.matches)
        assert.deepStrictEqual(
          verified.keys.map((k: any) => [k.host, k.key, k.verdict]),
          [
            ["rondel", gameId, "matches"],
            ["accounting", gameId, "matches"]
          ]
        )
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.unsafe(
            `UPDATE accounting.state SET state = jsonb_set(state, '{balances,Germany}', '999') WHERE key = $1`,
            [gameId]
          )
        ).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.orDie)
        const differs = yield* mailroom(url, ["replay", "--verify"])
        assert.strictEqual(differs.code, 1, differs.stderr)
        assert.match(
          differs.stdout,
          new RegExp(`accounting\\s+${gameId}\\s+\\d+\\s+differs\\s+balances\\.Germany: stored 999`)
        )
        assert.match(differs.stdout, new RegExp(`rondel\\s+${gameId}\\s+\\d+\\s+matches`))
        const onlyRondel = yield* operator(url, ["replay", "--verify", "--host", "rondel", "--key", gameId])
        assert.strictEqual(onlyRondel.code, 0, onlyRondel.stderr)
        const noVerify = yield* operator(url, ["replay"])
        assert.strictEqual(noVerify.code, 2)
        assert.include(noVerify.stderr, "replay needs --verify")
        const unknownHost = yield* operator(url, ["replay", "--verify", "--host", "acounting"])
        assert.strictEqual(unknownHost.code, 2)
        assert.include(unknownHost.stderr, "did you mean accounting?")
      }).pipe(Effect.scoped)
  )

  it.live("status counts a host's timers: scheduled while not due, overdue once due and not delivered", () =>
    Effect.gen(function* () {
      // Only Rondel runs (no Accounting): a paid move's charge is never answered, so its payment deadline (a day
      // away) stays scheduled in Rondel's outbox.
      const { url, sql, hostsApp } = yield* setting
      const rondelOnly = yield* hostsApp(["rondel"])
      const boundary = yield* rondelOnly.run(CommitBoundary)
      const gameId = game("timer-status")
      const moveId = `${gameId}-paid`
      const submit = (message: Contracts.Message, id: string) =>
        boundary.accept("rondel", envelopeOf(message, id, gameId))
      yield* submit(startGame(gameId, ["Germany"]), `${gameId}-start`)
      yield* submit(move(gameId, "Germany", "Investor"), `${gameId}-first`)
      yield* submit(move(gameId, "Germany", "Factory"), moveId)
      const deadline = (set: string) =>
        sql.unsafe<{ readonly id: string }>(
          `UPDATE rondel.outbox SET ${set} WHERE message_id = $1 AND due_at IS NOT NULL RETURNING message_id AS id`,
          [`${moveId}.t0`]
        )
      yield* eventually(
        sql,
        "the payment deadline scheduled in Rondel's outbox",
        Effect.map(deadline("due_at = due_at"), (rows) => rows.length === 1)
      )
      // Stopped, so no relay delivers the deadline once it is made due below.
      yield* rondelOnly.stop()

      // Scheduled two days ago and due in a day: a timer not due yet, and not an overdue message either. (Overdue
      // messages are judged after an hour: the charge, a few seconds old, is not one.)
      yield* deadline("created_at = now() - interval '2 days'")
      const timers = (status: Record<string, any>) =>
        status.hosts.map((h: any) => [h.host, h.timersScheduled, h.timersOverdue, h.overdue])
      assert.deepStrictEqual(timers(yield* json(url, ["status", "--overdue-after", "1h"])), [
        ["rondel", 1, 0, 0],
        ["accounting", 0, 0, 0]
      ])
      const table = yield* operator(url, ["status"])
      assert.strictEqual(table.code, 0, table.stderr)
      assert.deepStrictEqual(timerColumns(table.stdout, "rondel"), ["1", "0"])

      // Due a day ago with no relay running: an overdue timer, and a message due more than an hour ago.
      yield* deadline("due_at = now() - interval '1 day'")
      assert.deepStrictEqual(timers(yield* json(url, ["status", "--overdue-after", "1h"])), [
        ["rondel", 0, 1, 1],
        ["accounting", 0, 0, 0]
      ])
      const overdue = yield* operator(url, ["status"])
      assert.deepStrictEqual(timerColumns(overdue.stdout, "rondel"), ["0", "1"])

      const web = yield* Effect.acquireRelease(
        Effect.sync(() =>
          HttpApiBuilder.toWebHandler(
            Layer.mergeAll(
              HttpApiBuilder.api(ConsoleApi).pipe(Layer.provide(Console.layerGroup(ConsoleApi))),
              HttpServer.layerContext
            ).pipe(
              Layer.provide(
                PgJournal.layer({ hosts: ImperialApp.definitions, placement: Placement.single(url) })
              )
            )
          )
        ),
        (handler) => Effect.promise(() => handler.dispose())
      )
      // The console's status endpoint carries the same figures (its overdue messages are judged after 30 s).
      const fromApi = yield* Effect.promise(async () => {
        const response = await web.handler(new Request("http://localhost/mailroom/api/status"))
        assert.strictEqual(response.status, 200, await response.clone().text())
        return (await response.json()) as ReadonlyArray<Record<string, unknown>>
      })
      assert.deepStrictEqual(
        fromApi.map((h) => [h.host, h.timersScheduled, h.timersOverdue]),
        [
          ["rondel", 0, 1],
          ["accounting", 0, 0]
        ]
      )
    }).pipe(Effect.scoped)
  )
})

// The `timers scheduled` and `timers overdue` cells of a host's row in the status table.
const timerColumns = (table: string, host: string) => {
  const lines = table.split("\n")
  const header = lines[0] ?? ""
  const row = lines.find((line) => line.startsWith(`${host} `)) ?? ""
  return ["timers scheduled", "timers overdue"].map(
    (column) => row.slice(header.indexOf(column)).split(/\s{2,}/)[0] ?? ""
  )
}
