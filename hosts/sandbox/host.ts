/**
 * Runs one or more hosts of the reference application as their own OS process against PostgreSQL:
 *   npm run host -- rondel [--database-url [HOST=]URL ...] [--poll-ms N] [--workers N]
 *   npm run host -- accounting
 * Processes exchange messages only through the outbox/inbox tables; several processes of the same host
 * share the work (each game has a single writer at a time). Ctrl-C (SIGINT/SIGTERM) drains and exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Args, Command, HelpDoc, Options } from "@effect/cli"
import { Console, Duration, Effect, Either, Layer, Option, Schedule } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Relay from "../../src/commit/Relay.js"
import * as Placement from "../../src/pg/Placement.js"
import * as CommandLine from "./CommandLine.js"
import * as RondelHost from "../rondel/RondelHost.js"
import * as ImperialApp from "./ImperialApp.js"

const usage = `Usage: npm run host -- <rondel|accounting> [more hosts] [--database-url [HOST=]URL ...] [--poll-ms N] [--workers N] [--quiet] [--exit-with-parent]`

const flags = {
  hosts: Args.text({ name: "host" }).pipe(
    Args.mapEffect((text) => {
      const host = ImperialApp.definitions.find((definition) => definition.name === text.toLowerCase())
      return host === undefined
        ? Effect.fail(
            HelpDoc.p(
              `${text.startsWith("-") ? "unknown flag" : "no host"} ${JSON.stringify(text)}: hosts are ${ImperialApp.definitions.map((d) => d.name).join(", ")}`
            )
          )
        : Effect.succeed<ImperialApp.HostName>(host.name)
    }),
    Args.atLeast(1),
    Args.withDescription("The hosts whose actors run in this process: rondel, accounting, or both.")
  ),
  databaseUrls: CommandLine.databaseUrls,
  pollMs: CommandLine.wholeNumber("poll-ms", 1).pipe(
    Options.withDefault(250),
    Options.withDescription(
      "Longest wait for work, in milliseconds, when no notification arrives (default 250)."
    )
  ),
  workers: CommandLine.wholeNumber("workers", 1).pipe(
    Options.withDefault(1),
    Options.withDescription("Delivery workers per host in this process (default 1).")
  ),
  quiet: Options.boolean("quiet").pipe(Options.withDescription("No status line every 10 seconds.")),
  exitWithParent: Options.boolean("exit-with-parent").pipe(
    Options.withDescription("Stop (gracefully) when the process that started this one goes away.")
  )
}

const sendingWork = HelpDoc.blocks([
  HelpDoc.p(
    "Runs hosts of the reference application (Imperial's rondel and accounting) as their own OS process on PostgreSQL. Processes exchange messages only through their hosts' outbox and inbox tables (each host in its own schema, on one database or on a database of its own); several processes of the same host share the work (each game has one writer at a time). Ctrl-C (SIGINT, SIGTERM) drains and exits. Exit status: 0 after a signal, 1 when the database cannot be used, 2 for bad flags."
  ),
  HelpDoc.h1("HOW TO SEND WORK TO THESE PROCESSES"),
  HelpDoc.p(
    "These processes have no front door of their own: they handle what is stored in their hosts' inboxes. Store commands there, on the same database:"
  ),
  HelpDoc.p(
    "- From a program: ImperialApp.layerPostgresApplication({ url, local: [] }) is a front door that runs no host, then app.frontDoor(RondelHost.definition).send(...) (or sendWire for untrusted input). A command is stored in the host's inbox before it is acknowledged, and one of these processes handles it."
  ),
  HelpDoc.p(
    "- By hand: npm start -- --boundary postgres --database-url URL --hosts none. The sandbox then only stores its commands (without --hosts none it runs both hosts too and shares the work with these processes)."
  ),
  HelpDoc.p("- Over HTTP: examples/http-service on the same database (--hosts none for a front door only)."),
  HelpDoc.p(
    "Watch them work in the status line every 10 seconds, or with the sandbox's inbox, outbox, stats and reconcile commands on the same database."
  )
])

interface HostOptions {
  readonly hosts: ReadonlyArray<ImperialApp.HostName>
  readonly placement: Placement.Placement
  readonly pollMs: number
  readonly workers: number
  readonly quiet: boolean
  readonly exitWithParent: boolean
}

const main = (options: HostOptions) =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const relay = yield* Relay.Relay
    yield* Effect.log(
      `${options.hosts.join(" + ")} running (pid ${process.pid}; ${ImperialApp.hostNames
        .map((host) => `${host} on ${Placement.locationOf(Placement.urlOf(options.placement, host)!)}`)
        .join(", ")}); Ctrl-C to stop`
    )
    const status = Effect.gen(function* () {
      const stats = yield* app.stats
      const relayStats = yield* relay.stats
      for (const host of stats) {
        const r = relayStats.find((s) => s.host === host.host)
        const waiting =
          r === undefined || r.waitingFor.length === 0
            ? ""
            : `, waiting for ${r.waitingFor.map((d) => `${d} (${r.outboxByDestination[d] ?? 0} in the outbox)`).join(", ")}`
        const unreachable =
          r?.unreachable === undefined ? "" : `, its storage is unreachable: ${r.unreachable}`
        yield* Effect.log(
          `${host.host}: processed ${host.processed}, failed ${host.failed}, restarts ${host.restarts}, parked ${host.parked}, inbox pending ${r?.inboxPending ?? 0}, lag ${r?.lagMillis ?? 0} ms${unreachable}${waiting}`
        )
      }
    }).pipe(Effect.catchAll((error) => Effect.logWarning("status unavailable", error)))
    if (options.exitWithParent) {
      // A supervisor (a test, a process manager) that dies without stopping us would leave us running: once we
      // are re-parented, stop as on SIGTERM (the main fiber is interrupted, scopes close, mailboxes drain).
      const parent = process.ppid
      yield* Effect.forkDaemon(
        Effect.repeat(
          Effect.sync(() => {
            if (process.ppid !== parent) process.kill(process.pid, "SIGTERM")
          }),
          Schedule.spaced("500 millis")
        )
      )
    }
    if (!options.quiet)
      yield* Effect.repeat(status, Schedule.spaced(Duration.seconds(10))).pipe(Effect.delay("10 seconds"))
    return yield* Effect.never
  })

const program = { name: "mailroom host", usage }

const command = Command.make("npm run host --", flags).pipe(Command.withDescription(sendingWork))

const start = Effect.gen(function* () {
  const parsed = yield* CommandLine.flags(command, program, process.argv)
  if (Option.isNone(parsed)) return
  const placement = CommandLine.placementOf(parsed.value.databaseUrls, ImperialApp.hostNames)
  if (Either.isLeft(placement)) return yield* CommandLine.badUsage(program, placement.left)
  const options: HostOptions = {
    hosts: [...new Set(parsed.value.hosts)],
    placement: placement.right,
    pollMs: parsed.value.pollMs,
    workers: parsed.value.workers,
    quiet: parsed.value.quiet,
    exitWithParent: parsed.value.exitWithParent
  }
  return yield* main(options).pipe(
    Effect.provide(
      Layer.unwrapEffect(
        Effect.map(RondelHost.paymentDeadlineConfig, (paymentDeadline) =>
          ImperialApp.layerPostgresApplication({
            placement: options.placement,
            local: options.hosts,
            relay: { pollInterval: Duration.millis(options.pollMs), workers: options.workers },
            // MAILROOM_PAYMENT_DEADLINE (60 s by default): how long a paid move waits for its payment outcome.
            paymentDeadline,
            // Until PostgreSQL answers (MAILROOM_PG_CONNECT_GIVE_UP to stop earlier), each wait said on stderr.
            connectRetry: { onWait: (wait) => Console.error(`${options.hosts.join(" + ")}: ${wait.message}`) }
          })
        )
      ).pipe(Layer.orDie)
    )
  )
})

NodeRuntime.runMain(start)
