/**
 * Runs one or more hosts of the reference application as their own OS process against PostgreSQL:
 *   npm run host -- rondel [--database-url URL] [--poll-ms N] [--workers N]
 *   npm run host -- accounting
 * Processes exchange messages only through the outbox/inbox tables; several processes of the same host
 * share the work (each game has a single writer at a time). Ctrl-C (SIGINT/SIGTERM) drains and exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Duration, Effect, Layer, Schedule } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as PostgresServer from "../../src/pg/PostgresServer.js"
import * as Relay from "../../src/pg/Relay.js"
import * as ImperialApp from "./ImperialApp.js"

const usage = `usage: npm run host -- <rondel|accounting> [more hosts] [--database-url URL] [--poll-ms N] [--workers N] [--quiet]
  --database-url  PostgreSQL URL (default: $DATABASE_URL)
  --poll-ms       longest wait for work when no notification arrives (default 250)
  --workers       delivery workers per host in this process (default 1)
  --quiet         do not print a status line every 10 seconds
  --exit-with-parent  stop (gracefully) when the process that started this one goes away`

const parse = (argv: ReadonlyArray<string>) => {
  const hosts: Array<ImperialApp.HostName> = []
  let url = process.env.DATABASE_URL ?? ""
  let pollMs = 250
  let workers = 1
  let quiet = false
  let exitWithParent = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = () => {
      const next = argv[++i]
      if (next === undefined) throw new Error(`${arg} needs a value`)
      return next
    }
    if (arg === "--database-url") url = value()
    else if (arg === "--poll-ms") pollMs = positive(arg, value())
    else if (arg === "--workers") workers = positive(arg, value())
    else if (arg === "--quiet") quiet = true
    else if (arg === "--exit-with-parent") exitWithParent = true
    else if (arg === "--help" || arg === "-h") throw new Error("")
    else if (arg === "rondel" || arg === "accounting") hosts.push(arg)
    else throw new Error(`unknown argument "${arg}"`)
  }
  if (hosts.length === 0) throw new Error("name at least one host")
  if (url === "") throw new Error("no database: pass --database-url or set DATABASE_URL")
  return { hosts, url, pollMs, workers, quiet, exitWithParent }
}

const positive = (flag: string, text: string) => {
  const n = Number(text)
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${flag} must be a positive whole number, got "${text}"`)
  return n
}

let options: ReturnType<typeof parse>
try {
  options = parse(process.argv.slice(2))
} catch (error) {
  const message = (error as Error).message
  process.stderr.write(message === "" ? `${usage}\n` : `${message}\n${usage}\n`)
  process.exit(message === "" ? 0 : 2)
}

const main = Effect.gen(function* () {
  const app = yield* Application.Application
  const relay = yield* Relay.Relay
  yield* Effect.log(
    `${options.hosts.join(" + ")} running on ${PostgresServer.redactUrl(options.url)} (pid ${process.pid}); Ctrl-C to stop`
  )
  const status = Effect.gen(function* () {
    const stats = yield* app.stats
    const relayStats = yield* relay.stats
    for (const host of stats) {
      const r = relayStats.find((s) => s.host === host.host)
      yield* Effect.log(
        `${host.host}: processed ${host.processed}, failed ${host.failed}, restarts ${host.restarts}, parked ${host.parked}, inbox pending ${r?.inboxPending ?? 0}, lag ${r?.lagMillis ?? 0} ms`
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

main.pipe(
  Effect.provide(
    ImperialApp.layerPostgresApplication({
      url: options.url,
      local: options.hosts,
      relay: { pollInterval: Duration.millis(options.pollMs), workers: options.workers },
      // Until PostgreSQL answers (MAILROOM_PG_CONNECT_GIVE_UP to stop earlier), each wait said on stderr.
      connectRetry: { onWait: (wait) => Console.error(`${options.hosts.join(" + ")}: ${wait.message}`) }
    }).pipe(Layer.orDie)
  ),
  NodeRuntime.runMain
)
