/**
 * Runs one or more hosts of the reference application as their own OS process against PostgreSQL:
 *   npm run host -- rondel [--database-url URL] [--poll-ms N] [--workers N]
 *   npm run host -- accounting
 * Processes exchange messages only through the outbox/inbox tables; several processes of the same host
 * share the work (each game has a single writer at a time). Ctrl-C (SIGINT/SIGTERM) drains and exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Layer, Schedule } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Relay from "../../src/commit/Relay.js"
import * as Placement from "../../src/pg/Placement.js"
import * as ImperialApp from "./ImperialApp.js"

const usage = `usage: npm run host -- <rondel|accounting> [more hosts] [--database-url [HOST=]URL ...] [--poll-ms N] [--workers N] [--quiet]
  --database-url  PostgreSQL URL of every host (default: $DATABASE_URL); HOST=URL places one host on
                  its own database (repeatable)
  --poll-ms       longest wait for work when no notification arrives (default 250)
  --workers       delivery workers per host in this process (default 1)
  --quiet         do not print a status line every 10 seconds
  --exit-with-parent  stop (gracefully) when the process that started this one goes away`

const parse = (argv: ReadonlyArray<string>) => {
  const hosts: Array<ImperialApp.HostName> = []
  const urls: Array<string> = []
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
    if (arg === "--database-url") urls.push(value())
    else if (arg === "--poll-ms") pollMs = positive(arg, value())
    else if (arg === "--workers") workers = positive(arg, value())
    else if (arg === "--quiet") quiet = true
    else if (arg === "--exit-with-parent") exitWithParent = true
    else if (arg === "--help" || arg === "-h") throw new Error("")
    else if (arg === "rondel" || arg === "accounting") hosts.push(arg)
    else throw new Error(`unknown argument "${arg}"`)
  }
  if (hosts.length === 0) throw new Error("name at least one host")
  const fromEnv = process.env.DATABASE_URL ?? ""
  const placement = Placement.fromArguments(fromEnv === "" ? urls : [fromEnv, ...urls], ImperialApp.hostNames)
  if (placement._tag === "Left") throw new Error(placement.left)
  const missing = Placement.unplaced(placement.right, ImperialApp.hostNames)
  if (missing.length > 0)
    throw new Error(
      `no database for ${missing.join(", ")}: pass --database-url URL (or HOST=URL) or set DATABASE_URL`
    )
  return { hosts, placement: placement.right, pollMs, workers, quiet, exitWithParent }
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
          : `, waiting for ${r.waitingFor.map((d) => `${d} (${r.outboxByDestination[d] ?? 0} in outbox)`).join(", ")}`
      yield* Effect.log(
        `${host.host}: processed ${host.processed}, failed ${host.failed}, restarts ${host.restarts}, parked ${host.parked}, inbox pending ${r?.inboxPending ?? 0}, lag ${r?.lagMillis ?? 0} ms${r?.unreachable === undefined ? "" : `, storage unreachable: ${r.unreachable}`}${waiting}`
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
      placement: options.placement,
      local: options.hosts,
      relay: { pollInterval: Duration.millis(options.pollMs), workers: options.workers }
    }).pipe(Layer.orDie)
  ),
  NodeRuntime.runMain
)
