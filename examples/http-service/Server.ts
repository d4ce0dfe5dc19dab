/**
 * The HTTP service as a layer: the Imperial application on PostgreSQL, the API handlers, body limits,
 * `/openapi.json` and a docs page at `/docs`, served by Node's HTTP server.
 */
import { createServer } from "node:http"
import {
  HttpApiBuilder,
  HttpApiError,
  HttpApiSwagger,
  HttpIncomingMessage,
  HttpMethod,
  HttpServer,
  HttpServerRequest
} from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Option } from "effect"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as StorableText from "../../src/commit/StorableText.js"
import * as Console from "../../src/console/Console.js"
import * as PgJournal from "../../src/pg/PgJournal.js"
import * as Placement from "../../src/pg/Placement.js"
import { Api, LengthRequired, PayloadTooLarge } from "./Api.js"
import * as Handlers from "./Handlers.js"

/** Where to listen, which database to use, and how much a request body may weigh. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one (read it back with `address`). */
  readonly port: number
  readonly host?: string
  /** PostgreSQL URL of the application's database (or give `placement`). */
  readonly url?: string
  /** Where each host's tables live: a database per host; takes precedence over `url`. */
  readonly placement?: ImperialApp.PostgresOptions["placement"]
  /** The hosts whose actors run in this process (default both; none: the service only stores commands). */
  readonly local?: ReadonlyArray<ImperialApp.HostName>
  /** Largest accepted request body in bytes (default 16 KiB); larger ones answer 413. */
  readonly maxBodyBytes?: number
  readonly relay?: ImperialApp.PostgresOptions["relay"]
  /** How to wait for PostgreSQL at start (default: until it answers, each wait logged). */
  readonly connectRetry?: ImperialApp.PostgresOptions["connectRetry"]
  /** How long a paid move waits for its payment outcome (default 60 s; `main.ts` reads `MAILROOM_PAYMENT_DEADLINE`). */
  readonly paymentDeadline?: ImperialApp.PostgresOptions["paymentDeadline"]
  /** The operator console at `/mailroom`: the token its redrive button needs (none: redrive is refused, 401). */
  readonly console?: Console.ConsoleOptions
}

/**
 * Rejects oversized bodies (413), bodies of undeclared length (411), bodies that are not JSON and bodies holding text
 * no boundary can store (a NUL character, a lone surrogate: 400 naming the field) before an endpoint decodes them: the
 * endpoints' own decoding would turn unparsable JSON into a defect (500).
 */
export const layerBodyGuard = (maxBytes: number) =>
  HttpApiBuilder.middleware(Api, (app) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (!HttpMethod.hasBody(request.method)) return yield* app
      const length = request.headers["content-length"]
      // A chunked body could only be cut off mid-stream, which resets the connection instead of answering
      // 413; so a body must declare its length (every ordinary JSON client does).
      if (length === undefined && request.headers["transfer-encoding"] !== undefined) {
        return yield* new LengthRequired({ maxBytes })
      }
      if (Number(length) > maxBytes) return yield* new PayloadTooLarge({ maxBytes })
      // Read once and cached on the request: the endpoint decodes the same text afterwards. The limit is a
      // second line of defence; Node never delivers more than the declared length.
      const text = yield* request.text.pipe(
        HttpIncomingMessage.withMaxBodySize(Option.some(maxBytes)),
        Effect.orDie
      )
      const contentType = request.headers["content-type"] ?? "application/json"
      if (contentType.includes("json") && text.trim() !== "") {
        const problem = jsonProblem(text)
        if (problem !== undefined) {
          return yield* new HttpApiError.HttpApiDecodeError({
            issues: [{ _tag: "Type", path: problem.path, message: problem.message }],
            message: problem.message
          })
        }
      }
      return yield* app
    })
  )

/** The API with its handlers, body guard, `/openapi.json` and `/docs` (needs the Imperial hosts and relay). */
export const layerApi = (maxBodyBytes: number, console: Console.ConsoleOptions = {}) =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(layerBodyGuard(maxBodyBytes)),
    Layer.provide(Console.layerPage(console)),
    Layer.provide(
      HttpApiBuilder.api(Api).pipe(
        Layer.provide([Handlers.layerGames, Handlers.layerMessages, Console.layerGroup(Api, console)])
      )
    )
  )

/**
 * The whole service: the application first (waiting for PostgreSQL if it does not answer yet), then listening, so
 * every request that gets through finds the service ready; stopped (HTTP first, then the hosts) when released.
 * Its output includes the `HttpServer` (bound address) and the application (`Application.settle` in tests).
 */
export const layer = (options: ServerOptions) =>
  layerApi(options.maxBodyBytes ?? 16 * 1024, options.console).pipe(
    Layer.provideMerge(
      NodeHttpServer.layer(createServer, {
        port: options.port,
        ...(options.host === undefined ? {} : { host: options.host })
      })
    ),
    // The console reads every context's boxes and audit log where the hosts store them.
    Layer.provideMerge(
      PgJournal.layer({
        hosts: ImperialApp.definitions,
        placement: options.placement ?? Placement.single(options.url ?? "")
      })
    ),
    Layer.provideMerge(
      ImperialApp.layerPostgres({
        ...(options.url === undefined ? {} : { url: options.url }),
        ...(options.placement === undefined ? {} : { placement: options.placement }),
        ...(options.local === undefined ? {} : { local: options.local }),
        ...(options.relay === undefined ? {} : { relay: options.relay }),
        ...(options.connectRetry === undefined ? {} : { connectRetry: options.connectRetry }),
        ...(options.paymentDeadline === undefined ? {} : { paymentDeadline: options.paymentDeadline })
      })
    )
  )

/** The base URL the server listens on, like `http://127.0.0.1:41234` (a wildcard address becomes localhost). */
export const address: Effect.Effect<string, never, HttpServer.HttpServer> = HttpServer.addressWith(
  (bound) => {
    if (bound._tag === "UnixAddress") return Effect.succeed(`http://unix:${bound.path}`)
    const host = bound.hostname === "::" || bound.hostname === "0.0.0.0" ? "localhost" : bound.hostname
    return Effect.succeed(`http://${host.includes(":") ? `[${host}]` : host}:${bound.port}`)
  }
)

/** Starts the service for the lifetime of the scope and returns its base URL. */
export const serve = (options: ServerOptions) =>
  Effect.flatMap(Layer.build(layer(options)), (context) => Effect.provide(address, context))

// internal

const jsonProblem = (
  text: string
): { readonly path: ReadonlyArray<string>; readonly message: string } | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    return { path: [], message: `body is not valid JSON: ${(error as Error).message}` }
  }
  const problem = StorableText.problemIn(parsed)
  if (problem === undefined) return undefined
  // "note: contains a NUL ..." → the field's path and the whole line.
  const field = problem.slice(0, problem.indexOf(": "))
  return { path: field === "(value)" ? [] : field.split("."), message: problem }
}
