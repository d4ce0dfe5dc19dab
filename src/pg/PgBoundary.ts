import type * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Config, ConfigError, Duration, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import type * as Bus from "../commit/Bus.js"
import type { CommitBoundary } from "../commit/CommitBoundary.js"
import type * as Faults from "../commit/Faults.js"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import * as WaitForDatabase from "./internal/waitForDatabase.js"
import * as Wakeups from "./internal/wakeups.js"
import * as Migrations from "./Migrations.js"
import * as PgCommit from "./PgCommit.js"
import * as Relay from "./Relay.js"
import * as Topology from "./Topology.js"

/** Everything the durable boundary needs to know about a deployment. */
export interface PgBoundaryOptions {
  /** Every host of the deployment (routing is derived from all their declarations). */
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  /** Names of the hosts whose actors run in this process (default: all). */
  readonly local?: ReadonlyArray<string>
  /** Prefix of each context's schema name (default none: schemas are named after the hosts). */
  readonly schemaPrefix?: string
  /** Most handled messages committed in one transaction (group commit). */
  readonly maxBatch?: number
  /** Commit transactions in flight at once per host (default 1). */
  readonly writers?: number
  /** Write produced messages straight into same-database inboxes in the commit's transaction (default true). */
  readonly inlineRelay?: boolean
  /** Relay settings (wake-up, retries, parking, retention). */
  readonly relay?: Omit<Relay.RelayOptions, "topology" | "local" | "wakeups">
}

/**
 * The durable PostgreSQL boundary: migrates every context's schema, then provides the outbox commit and
 * starts the relay for the local hosts.
 */
export const layer = (
  options: PgBoundaryOptions
): Layer.Layer<
  CommitBoundary | Relay.Relay,
  unknown,
  SqlClient.SqlClient | PgClient.PgClient | Bus.Bus | Faults.Faults
> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const topology = Topology.make(options.hosts, options.schemaPrefix ?? "")
      const local = options.local ?? options.hosts.map((host) => host.name)
      const unknown = local.filter((name) => !options.hosts.some((host) => host.name === name))
      if (unknown.length > 0)
        return yield* Effect.dieMessage(`local hosts not in the topology: ${unknown.join(", ")}`)
      const wakeups = Wakeups.make()
      const relayOptions: Relay.RelayOptions = { ...options.relay, topology, local, wakeups }
      yield* Relay.validate(relayOptions)
      yield* validatePool((yield* PgClient.PgClient).config.maxConnections, connectionsNeeded(options))
      yield* Migrations.runAll(topology.hosts.map((host) => topology.schemaOf(host.name)))
      return Layer.merge(
        PgCommit.layer({
          topology,
          wakeups,
          ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
          ...(options.writers === undefined ? {} : { writers: options.writers }),
          ...(options.inlineRelay === undefined ? {} : { inlineRelay: options.inlineRelay })
        }),
        Relay.layer(relayOptions)
      )
    })
  )

/**
 * The smallest pool the boundary works with for these options: the connections it keeps (each host's commit and
 * submit writers; the relay's mover, delivery workers and LISTEN), plus a few for everything else.
 */
export const connectionsNeeded = (options: PgBoundaryOptions): number => {
  const local = options.local ?? options.hosts.map((host) => host.name)
  const kept =
    PgCommit.keptConnections({
      hosts: options.hosts.length,
      ...(options.writers === undefined ? {} : { writers: options.writers })
    }) + Relay.keptConnections({ ...options.relay, local })
  return kept + spareConnections
}

/** The default pool size: 16, or what the options need if that is more (see `connectionsNeeded`). */
export const defaultPoolSize = (options: PgBoundaryOptions): number =>
  Math.max(16, connectionsNeeded(options))

/**
 * How a client waits for PostgreSQL at start while it does not answer (refused, unreachable, starting up): attempts
 * doubling their wait from `initialDelay` up to `maxDelay`, each wait logged (a warning naming host:port, the attempt,
 * its error and the next one), until it answers or `giveUpAfter` has passed. A wrong password or a missing database
 * fails at once. Interrupting (Ctrl-C) stops the wait at once.
 */
export interface ConnectRetry {
  /** Wait after the first failed attempt, doubling after each (default 250 millis). */
  readonly initialDelay?: Duration.DurationInput
  /** Longest wait between attempts (default 5 seconds). */
  readonly maxDelay?: Duration.DurationInput
  /** Give up this long after the first attempt, or `"never"` (default 30 seconds in the library, never in programs). */
  readonly giveUpAfter?: Duration.DurationInput | "never"
  /** Told of each wait instead of the default warning in the log (a program writing to its own stderr). */
  readonly onWait?: (wait: Waiting) => Effect.Effect<void>
}

/** One wait for the database at start (see `ConnectRetry`): address, attempt, error, next attempt, the whole line. */
export type Waiting = WaitForDatabase.Waiting

/** The library's default wait at start: doubling from 250 ms, at most 5 s apart, for 30 s. */
export const defaultConnectRetry: ConnectRetry = {
  initialDelay: Duration.millis(250),
  maxDelay: Duration.seconds(5),
  giveUpAfter: Duration.seconds(30)
}

/** The wait of long-running programs (hosts, services, the sandbox): the same, until the database answers. */
export const waitUntilAnswered: ConnectRetry = { ...defaultConnectRetry, giveUpAfter: "never" }

/** PostgreSQL did not answer at start within the configured wait (see `ConnectRetry`). */
export class DatabaseUnreachable extends Schema.TaggedError<DatabaseUnreachable>()("DatabaseUnreachable", {
  address: Schema.String,
  message: Schema.String
}) {}

/**
 * A PostgreSQL client for a connection URL (pool sized for group commit plus the relay). At start it waits for the
 * server as `connectRetry` says (default `defaultConnectRetry`; `false`: one attempt).
 */
export const layerClient = (
  url: string | Redacted.Redacted,
  options: {
    readonly maxConnections?: number
    readonly applicationName?: string
    readonly connectRetry?: ConnectRetry | false
  } = {}
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, unknown> => {
  const redacted = typeof url === "string" ? Redacted.make(url) : url
  const client = () =>
    PgClient.layer({
      url: redacted,
      maxConnections: options.maxConnections ?? 16,
      connectTimeout: Duration.seconds(10),
      applicationName: options.applicationName ?? "mailroom"
    })
  if (options.connectRetry === false) return client()
  const retry = resolveRetry(options.connectRetry ?? defaultConnectRetry)
  return Layer.scopedContext(
    WaitForDatabase.connect(Redacted.value(redacted), retry, (scope) =>
      Layer.buildWithScope(client(), scope)
    ).pipe(
      Effect.catchIf(WaitForDatabase.passesLater, (error) => {
        const address = WaitForDatabase.addressOf(Redacted.value(redacted)).address
        return Effect.fail(
          new DatabaseUnreachable({
            address,
            message: `PostgreSQL at ${address} did not answer within ${Duration.format(retry.giveUpAfter ?? Duration.zero)}: ${WaitForDatabase.describe(error)}`
          })
        )
      })
    )
  )
}

/**
 * The wait at start read from the environment: `MAILROOM_PG_CONNECT_MAX_DELAY` (longest wait between attempts) and
 * `MAILROOM_PG_CONNECT_GIVE_UP` (a duration, or `never`); unset ones come from `defaults`.
 */
export const connectRetryConfig = (
  defaults: ConnectRetry = defaultConnectRetry
): Config.Config<ConnectRetry> =>
  Config.all({
    maxDelay: Config.duration("MAILROOM_PG_CONNECT_MAX_DELAY").pipe(Config.option),
    giveUpAfter: Config.string("MAILROOM_PG_CONNECT_GIVE_UP").pipe(
      Config.mapOrFail((text): Either.Either<Duration.Duration | "never", ConfigError.ConfigError> => {
        if (text.trim() === "never") return Either.right("never" as const)
        const duration = Duration.decodeUnknown(text.trim())
        return Option.isSome(duration)
          ? Either.right(duration.value)
          : Either.left(
              ConfigError.InvalidData([], `must be a duration like "2 minutes", or never; got "${text}"`)
            )
      }),
      Config.option
    )
  }).pipe(
    Config.map(({ maxDelay, giveUpAfter }) => ({
      ...defaults,
      ...(Option.isSome(maxDelay) ? { maxDelay: maxDelay.value } : {}),
      ...(Option.isSome(giveUpAfter) ? { giveUpAfter: giveUpAfter.value } : {})
    }))
  )

/** Settings of the durable boundary read from the environment (see README "Configuration"). */
export const config = Config.all({
  url: Config.redacted("DATABASE_URL"),
  schemaPrefix: Config.string("MAILROOM_SCHEMA_PREFIX").pipe(
    Config.validate({
      message: "must be lower-case letters, digits or _",
      validation: (s) => /^[a-z0-9_]*$/.test(s)
    }),
    Config.withDefault("")
  ),
  local: Config.array(Config.string(), "MAILROOM_HOSTS").pipe(Config.option),
  maxBatch: positiveInt("MAILROOM_MAX_BATCH", 64),
  writers: positiveInt("MAILROOM_COMMIT_WRITERS", 1),
  inlineRelay: Config.boolean("MAILROOM_INLINE_RELAY").pipe(Config.withDefault(true)),
  maxConnections: Config.option(optionalPositiveInt("MAILROOM_PG_MAX_CONNECTIONS")),
  connectRetry: connectRetryConfig(),
  relay: Config.all({
    pollInterval: Config.duration("MAILROOM_POLL_INTERVAL").pipe(Config.withDefault(Duration.millis(250))),
    listen: Config.boolean("MAILROOM_LISTEN").pipe(Config.withDefault(true)),
    maxAttempts: positiveInt("MAILROOM_MAX_ATTEMPTS", 10),
    backoff: Config.duration("MAILROOM_RETRY_BACKOFF").pipe(Config.withDefault(Duration.millis(100))),
    maxBackoff: Config.duration("MAILROOM_RETRY_MAX_BACKOFF").pipe(Config.withDefault(Duration.seconds(30))),
    workers: positiveInt("MAILROOM_RELAY_WORKERS", 1),
    inboxRetention: Config.duration("MAILROOM_INBOX_RETENTION").pipe(Config.withDefault(Duration.days(7))),
    outboxRetention: Config.duration("MAILROOM_OUTBOX_RETENTION").pipe(Config.withDefault(Duration.days(1)))
  })
})

/**
 * The durable boundary and its PostgreSQL client configured from the environment (`DATABASE_URL`,
 * `MAILROOM_*`); an invalid setting fails at start with an error naming the variable.
 */
export const layerConfig = (
  hosts: ReadonlyArray<AnyHostDefinition>
): Layer.Layer<
  CommitBoundary | Relay.Relay | SqlClient.SqlClient | PgClient.PgClient,
  unknown,
  Bus.Bus | Faults.Faults
> =>
  Layer.unwrapEffect(
    Effect.map(
      // Unsafe relay settings are refused before anything connects.
      Effect.tap(config, (settings) =>
        Relay.validate({
          ...settings.relay,
          topology: Topology.make(hosts, settings.schemaPrefix),
          local: []
        })
      ),
      (settings) => {
        const options: PgBoundaryOptions = {
          hosts,
          schemaPrefix: settings.schemaPrefix,
          maxBatch: settings.maxBatch,
          writers: settings.writers,
          inlineRelay: settings.inlineRelay,
          relay: settings.relay,
          ...(Option.isSome(settings.local) ? { local: settings.local.value } : {})
        }
        // Unset, the pool is as large as these settings need (at least 16); set too small, the boundary refuses.
        const maxConnections = Option.getOrElse(settings.maxConnections, () => defaultPoolSize(options))
        return layer(options).pipe(
          Layer.provideMerge(
            layerClient(settings.url, { maxConnections, connectRetry: settings.connectRetry })
          )
        )
      }
    )
  )

// internal

const resolveRetry = (retry: ConnectRetry): WaitForDatabase.Retry => ({
  initialDelay: Duration.decode(retry.initialDelay ?? Duration.millis(250)),
  maxDelay: Duration.decode(retry.maxDelay ?? Duration.seconds(5)),
  giveUpAfter:
    retry.giveUpAfter === "never" ? undefined : Duration.decode(retry.giveUpAfter ?? Duration.seconds(30)),
  onWait: retry.onWait ?? ((wait) => Effect.logWarning(wait.message))
})

/** Statements outside the kept connections (stats, retries, settle, queries) need a few pooled ones of their own. */
const spareConnections = 3

/**
 * Refuses a pool too small for the connections the boundary and relay keep: the statements that need a pooled
 * connection besides them (a failed delivery's retry bookkeeping among them) would wait forever.
 */
const validatePool = (maxConnections: number | undefined, needed: number) => {
  // node-postgres' default pool size
  const max = maxConnections ?? 10
  return needed <= max
    ? Effect.void
    : Effect.fail(
        new Relay.InvalidRelaySettings({
          message: `the PostgreSQL pool has ${max} connections; with these settings the boundary keeps up to ${needed - spareConnections} (commit and submit writers of every host, the relay's mover and delivery workers of each local host, LISTEN) and needs ${spareConnections} more for everything else: give the pool at least ${needed} connections (MAILROOM_PG_MAX_CONNECTIONS, or unset it to size the pool from the settings), or use fewer relay workers or commit writers`
        })
      )
}

function positiveInt(name: string, fallback: number) {
  return Config.withDefault(optionalPositiveInt(name), fallback)
}

function optionalPositiveInt(name: string) {
  return Config.integer(name).pipe(
    Config.validate({ message: "must be a whole number of at least 1", validation: (n) => n >= 1 })
  )
}
