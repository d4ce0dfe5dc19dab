/**
 * Runs the Imperial HTTP service:
 *   DATABASE_URL=postgres://... PORT=3000 npx tsx examples/http-service/main.ts
 * Without DATABASE_URL it uses the server on 127.0.0.1:5432 or starts an embedded one, in a throwaway
 * database dropped on exit. It listens once the application is up; while PostgreSQL does not answer it waits (and
 * says so on stderr). Open http://localhost:3000/docs; Ctrl-C drains and exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Option } from "effect"
import * as PostgresServer from "../../src/pg/PostgresServer.js"
import * as Server from "./Server.js"

const main = Effect.gen(function* () {
  const port = yield* Config.integer("PORT").pipe(Config.withDefault(3000))
  const host = yield* Config.option(Config.string("HOST"))
  const configured = yield* Config.option(Config.string("DATABASE_URL"))
  const url = Option.isSome(configured)
    ? configured.value
    : yield* PostgresServer.acquire({ log: (line) => console.log(line) }).pipe(
        Effect.flatMap((server) => PostgresServer.createDatabase(server.url)),
        Effect.tap(({ name }) => Effect.log(`no DATABASE_URL: using throwaway database ${name}`)),
        Effect.map(({ url }) => url)
      )
  // Until PostgreSQL answers (MAILROOM_PG_CONNECT_GIVE_UP to stop earlier), each wait said on stderr; Ctrl-C stops.
  const baseUrl = yield* Server.serve({
    port,
    url,
    ...(Option.isSome(host) ? { host: host.value } : {}),
    connectRetry: { onWait: (wait) => Console.error(`http-service: ${wait.message}`) }
  })
  yield* Effect.log(`listening on ${baseUrl} (docs ${baseUrl}/docs, OpenAPI ${baseUrl}/openapi.json)`)
  return yield* Effect.never
})

NodeRuntime.runMain(Effect.scoped(main))
