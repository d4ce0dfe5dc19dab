/**
 * Runs the Imperial HTTP service:
 *   DATABASE_URL=postgres://... PORT=3000 npx tsx examples/http-service/main.ts
 *   npx tsx examples/http-service/main.ts --database-url rondel=postgres://a/x --database-url accounting=postgres://b/y
 *   npx tsx examples/http-service/main.ts --hosts none     # a front door only: host processes do the work
 * Without a database it uses the server on 127.0.0.1:5432 or starts an embedded one, in a throwaway database dropped
 * on exit. It listens once the application is up; while PostgreSQL does not answer it waits (and says so on stderr).
 * Open http://localhost:3000/docs; Ctrl-C drains and exits.
 */
import { Command } from "@effect/cli"
import { NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Either, Option } from "effect"
import * as CommandLine from "../../hosts/sandbox/CommandLine.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Placement from "../../src/pg/Placement.js"
import * as PostgresServer from "../../src/pg/testing/PostgresServer.js"
import * as Server from "./Server.js"

const program: CommandLine.Program = {
  name: "imperial http-service",
  usage: "Usage: npx tsx examples/http-service/main.ts [--database-url [HOST=]URL ...] [--hosts LIST|none]"
}

const command = Command.make("npx tsx examples/http-service/main.ts", {
  databaseUrls: CommandLine.databaseUrls,
  hosts: CommandLine.localHosts(ImperialApp.hostNames)
})

const main = Effect.gen(function* () {
  const parsed = yield* CommandLine.flags(command, program, process.argv)
  if (Option.isNone(parsed)) return
  const port = yield* Config.integer("PORT").pipe(Config.withDefault(3000))
  const host = yield* Config.option(Config.string("HOST"))
  // The operator console at /mailroom: its redrive button needs this token (unset: refused with 401).
  const consoleToken = yield* Config.option(Config.redacted("MAILROOM_CONSOLE_TOKEN"))
  // How long a paid move waits for its payment outcome, the same setting as the host processes and the sandbox.
  const paymentDeadline = yield* RondelHost.paymentDeadlineConfig
  const configured = Option.filter(yield* Config.option(Config.string("DATABASE_URL")), (url) => url !== "")
  const given = Option.isSome(configured)
    ? [configured.value, ...parsed.value.databaseUrls]
    : parsed.value.databaseUrls
  const placement = Placement.fromArguments(given, ImperialApp.hostNames)
  if (Either.isLeft(placement)) return yield* CommandLine.badUsage(program, placement.left)
  const unplaced = Placement.unplaced(placement.right, ImperialApp.hostNames)
  // Hosts without a database share a throwaway one (dropped on exit).
  const fallback =
    unplaced.length === 0
      ? undefined
      : yield* PostgresServer.acquire({ log: (line) => console.log(line) }).pipe(
          Effect.flatMap((server) => PostgresServer.createDatabase(server.url)),
          Effect.tap(({ name }) =>
            Effect.log(`no database for ${unplaced.join(", ")}: using throwaway database ${name}`)
          ),
          Effect.map(({ url }) => url)
        )
  // Until PostgreSQL answers (MAILROOM_PG_CONNECT_GIVE_UP to stop earlier), each wait said on stderr; Ctrl-C stops.
  const baseUrl = yield* Server.serve({
    port,
    placement:
      fallback === undefined
        ? placement.right
        : { ...placement.right, default: Placement.single(fallback).default },
    ...(Option.isSome(parsed.value.hosts) ? { local: parsed.value.hosts.value } : {}),
    ...(Option.isSome(host) ? { host: host.value } : {}),
    console: Option.isSome(consoleToken) ? { token: consoleToken.value } : {},
    paymentDeadline,
    connectRetry: { onWait: (wait) => Console.error(`http-service: ${wait.message}`) }
  })
  yield* Effect.log(
    `listening on ${baseUrl} (docs ${baseUrl}/docs, OpenAPI ${baseUrl}/openapi.json, operator console ${baseUrl}/mailroom)`
  )
  return yield* Effect.never
})

NodeRuntime.runMain(Effect.scoped(main))
