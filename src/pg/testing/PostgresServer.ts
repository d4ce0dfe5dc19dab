import { randomBytes } from "node:crypto"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Config, Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as Embedded from "../internal/embeddedServer.js"
import type { EmbeddedOptions, EmbeddedServer } from "../internal/embeddedServer.js"

/** Where a server came from: `DATABASE_URL`, a server already on 127.0.0.1:5432, or one started for this run. */
export const Source = Schema.Literal("DATABASE_URL", "local", "embedded")
/** Where a server came from. */
export type Source = typeof Source.Type

/** How to find a server: `auto` tries `DATABASE_URL`, then 127.0.0.1:5432, then an embedded server, `embedded` always starts one, `external` never does. */
export const Mode = Schema.Literal("auto", "embedded", "external")
/** How to find a server. */
export type Mode = typeof Mode.Type

/** No PostgreSQL server could be found or started (or a database could not be created on it). */
export class PostgresUnavailable extends Schema.TaggedError<PostgresUnavailable>()("PostgresUnavailable", {
  message: Schema.String,
  attempts: Schema.Array(Schema.Struct({ source: Source, reason: Schema.String }))
}) {}

/** A reachable server: `url` is an admin URL (the `postgres` database, unless `DATABASE_URL` names another). */
export interface PostgresServer {
  readonly url: string
  readonly source: Source
  readonly version?: string | undefined
  /** Process details when this run started the server itself. */
  readonly embedded?: EmbeddedServer | undefined
}

/** Options of `acquire`; unset ones come from `MAILROOM_TEST_PG` and `DATABASE_URL`. */
export interface AcquireOptions {
  readonly mode?: Mode | undefined
  readonly databaseUrl?: string | undefined
  /** Receives one line per notable step (which server is used, where the embedded one runs). */
  readonly log?: ((line: string) => void) | undefined
  readonly embedded?: EmbeddedOptions | undefined
}

/** Options of the embedded server (settings, timeouts, binaries, watchdog), and the server this run started. */
export type { EmbeddedOptions, EmbeddedServer } from "../internal/embeddedServer.js"

/** Settings the embedded server uses unless overridden: durability off, 200 connections. */
export const testSettings = Embedded.testSettings

/** The server on the conventional local port, with the conventional superuser and trust authentication. */
export const localUrl = "postgres://postgres@127.0.0.1:5432/postgres"

/**
 * Finds or starts a server: `DATABASE_URL` when set, else 127.0.0.1:5432 when it answers a query within a
 * second, else a throwaway embedded server that lives as long as the scope.
 */
export const acquire = Effect.fn("PostgresServer.acquire")(function* (options: AcquireOptions = {}) {
  const mode = options.mode ?? (yield* modeConfig)
  const databaseUrl = options.databaseUrl ?? (yield* databaseUrlConfig)
  const log = options.log ?? (() => {})
  const attempts: Array<{ source: Source; reason: string }> = []
  const found = (url: string, source: Source, version: string): PostgresServer => {
    log(`using ${describeSource(source, url)}: PostgreSQL ${version}`)
    return { url, source, version }
  }

  if (mode !== "embedded") {
    if (databaseUrl !== undefined) {
      const probed = yield* Effect.either(probe(databaseUrl, Duration.seconds(5)))
      if (probed._tag === "Right") return found(databaseUrl, "DATABASE_URL", probed.right)
      attempts.push({ source: "DATABASE_URL", reason: `${redactUrl(databaseUrl)}: ${probed.left}` })
      return yield* unavailable(attempts, "DATABASE_URL is set, so nothing else was tried")
    }
    const local = yield* Effect.either(probe(localUrl, Duration.seconds(1)))
    if (local._tag === "Right") return found(localUrl, "local", local.right)
    attempts.push({ source: "local", reason: `127.0.0.1:5432: ${local.left}` })
    if (mode === "external") {
      return yield* unavailable(attempts, "MAILROOM_TEST_PG=external forbids starting an embedded server")
    }
  }

  const started = yield* Effect.either(Embedded.start(options.embedded ?? {}, log))
  if (started._tag === "Left") {
    attempts.push({ source: "embedded", reason: started.left.message })
    return yield* unavailable(attempts)
  }
  const version = yield* Effect.either(probe(started.right.url, Duration.seconds(5)))
  if (version._tag === "Left") {
    attempts.push({ source: "embedded", reason: `started but does not answer: ${version.left}` })
    return yield* unavailable(attempts)
  }
  return { ...found(started.right.url, "embedded", version.right), embedded: started.right }
})

/**
 * Creates a fresh, uniquely named database on the server behind `adminUrl` and drops it (WITH (FORCE)) when
 * the scope closes; any database URL of the server works as `adminUrl`.
 */
export const createDatabase = Effect.fn("PostgresServer.createDatabase")(function* (
  adminUrl: string,
  name?: string
) {
  const database = name ?? uniqueName()
  yield* Effect.acquireRelease(
    withClient(adminUrl, (sql) => sql`CREATE DATABASE ${sql(database)}`).pipe(
      Effect.mapError(
        (reason) =>
          new PostgresUnavailable({
            message: `could not create database ${database} on ${redactUrl(adminUrl)}: ${reason}`,
            attempts: []
          })
      )
    ),
    () =>
      withClient(adminUrl, (sql) => sql`DROP DATABASE IF EXISTS ${sql(database)} WITH (FORCE)`).pipe(
        Effect.catchAll((reason) => Effect.logWarning(`could not drop database ${database}: ${reason}`))
      )
  )
  return { url: withDatabase(adminUrl, database), name: database }
})

/** The same server URL pointing at another database. */
export const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.href
}

/** The URL with its password masked, for messages and logs. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.href
  } catch {
    return "<unparseable url>"
  }
}

// internal

const modeConfig = Config.literal(
  "auto",
  "embedded",
  "external"
)("MAILROOM_TEST_PG").pipe(
  Config.withDefault("auto" as const),
  Effect.mapError(
    (error) =>
      new PostgresUnavailable({
        message: `MAILROOM_TEST_PG must be auto, embedded or external: ${String(error)}`,
        attempts: []
      })
  )
)

const databaseUrlConfig = Config.option(Config.string("DATABASE_URL")).pipe(
  Effect.map(Option.filter((url) => url.trim() !== "")),
  Effect.map(Option.getOrUndefined),
  Effect.orElseSucceed(() => undefined)
)

const describeSource = (source: Source, url: string) =>
  source === "DATABASE_URL"
    ? `DATABASE_URL (${redactUrl(url)})`
    : source === "local"
      ? "the server on 127.0.0.1:5432"
      : `an embedded server (${redactUrl(url)})`

const unavailable = (attempts: ReadonlyArray<{ source: Source; reason: string }>, note?: string) =>
  new PostgresUnavailable({
    message: [
      "no PostgreSQL server available; tried:",
      ...attempts.map((a) => `  - ${a.source}: ${a.reason.replaceAll("\n", "\n      ")}`),
      ...(note === undefined ? [] : [`  (${note})`])
    ].join("\n"),
    attempts
  })

/** Runs `f` on a one-connection client that is closed afterwards; failures become a readable reason. */
const withClient = <A, E>(
  url: string,
  f: (sql: PgClient.PgClient) => Effect.Effect<A, E>,
  connectTimeout: Duration.Duration = Duration.seconds(5)
): Effect.Effect<A, string> =>
  Effect.scoped(
    Effect.gen(function* () {
      const context = yield* Layer.build(
        PgClient.layer({
          url: Redacted.make(url),
          connectTimeout,
          maxConnections: 1,
          applicationName: "mailroom/PostgresServer"
        })
      )
      return yield* f(Context.get(context, PgClient.PgClient))
    })
  ).pipe(Effect.mapError(describeCause))

/** Answers with the server version when a real query succeeds within `timeout`. */
const probe = (url: string, timeout: Duration.Duration): Effect.Effect<string, string> =>
  withClient(url, (sql) => sql<{ server_version: string }>`SHOW server_version`, timeout).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => `no answer within ${Duration.format(timeout)}`
    }),
    Effect.map((rows) => rows[0]?.server_version ?? "unknown")
  )

const describeCause = (error: unknown): string => {
  const cause = (error as { cause?: unknown }).cause ?? error
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return [...new Set(cause.errors.map((e) => (e instanceof Error ? e.message : String(e))))].join("; ")
  }
  if (cause instanceof Error) return cause.message || String((error as { message?: unknown }).message)
  return String(cause)
}

const uniqueName = () =>
  `mailroom_${process.pid}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`
