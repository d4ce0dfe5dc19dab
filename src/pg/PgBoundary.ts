import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Config, ConfigError, Duration, Effect, Either, Layer, Option, Redacted } from "effect"
import type * as Bus from "../commit/Bus.js"
import type { CommitBoundary, PersistenceError } from "../commit/CommitBoundary.js"
import { type ContextStorage, Storages, type Wakeup } from "../commit/ContextStorage.js"
import * as DurableCommit from "../commit/DurableCommit.js"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import * as Relay from "../commit/Relay.js"
import * as StoredTimers from "../commit/StoredTimers.js"
import type { Timers } from "../commit/Timers.js"
import * as Routing from "../commit/Routing.js"
import * as Connections from "./internal/connections.js"
import * as Databases from "./internal/databases.js"
import * as Notifications from "./internal/notifications.js"
import * as SqlFailure from "./internal/sqlFailure.js"
import * as Startup from "./internal/startup.js"
import { DatabaseUnreachable } from "./internal/startup.js"
import * as WaitForDatabase from "./internal/waitForDatabase.js"
import * as Placement from "./Placement.js"
import * as PgStorage from "./PgStorage.js"

/** Everything the durable boundary needs to know about a deployment. */
export interface PgBoundaryOptions {
  /** Every host of the deployment (routing is derived from all their declarations). */
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  /** Names of the hosts whose actors run in this process (default: all; none for a front door that only stores). */
  readonly local?: ReadonlyArray<string>
  /** Prefix of each context's schema name (default none: schemas are named after the hosts). */
  readonly schemaPrefix?: string
  /** Most handled messages committed in one transaction (group commit). */
  readonly maxBatch?: number
  /** Commit transactions in flight at once per host (default 1). */
  readonly writers?: number
  /** Wake the relay at once when another process stores or forwards messages (LISTEN/NOTIFY; default true). */
  readonly listen?: boolean
  /**
   * Hand produced messages to consumers running in this process right after the commit (default true); off, they go
   * through the relay's rounds like messages to other processes.
   */
  readonly handover?: boolean
  /** Relay settings (wake-up, retries, parking, retention). */
  readonly relay?: Omit<Relay.RelayOptions, "local">
  /**
   * How start-up waits for a database that does not answer yet (default `defaultConnectRetry`: 30 seconds, saying so;
   * `false`: one attempt). Databases of hosts that run elsewhere are waited for in the background.
   */
  readonly connectRetry?: ConnectRetry | false
}

/** Options of a deployment whose hosts may live on several databases. */
export interface PgPlacedOptions extends PgBoundaryOptions {
  /** Where each host's tables live (see `Placement`). */
  readonly placement: Placement.Placement
  /** Pool size per database (default: what the hosts placed there need, at least 16). */
  readonly maxConnections?: number
  readonly applicationName?: string
}

/**
 * The durable PostgreSQL boundary with every host on the database of the `PgClient` it is given: migrates every
 * context's schema, then provides the durable commit and runs the relay for the local hosts.
 */
export const layer = (
  options: PgBoundaryOptions
): Layer.Layer<
  CommitBoundary | Relay.Relay | Storages | Timers,
  PersistenceError | DatabaseUnreachable | Relay.InvalidRelaySettings,
  SqlClient.SqlClient | PgClient.PgClient | Bus.Bus
> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const client = yield* PgClient.PgClient
      yield* validatePool(client.config.maxConnections, connectionsNeeded(options))
      const url = client.config.url
      const database: Databases.Database = {
        client,
        url: url === undefined ? "" : Redacted.value(url),
        location: url === undefined ? "PostgreSQL" : Placement.locationOf(url),
        hosts: options.hosts.map((host) => host.name)
      }
      return boundaryOn([database], options)
    })
  )

/** The durable boundary with each host on the database its placement names; the clients are made here. */
export const layerPlaced = (
  options: PgPlacedOptions
): Layer.Layer<
  CommitBoundary | Relay.Relay | Storages | Timers,
  PersistenceError | DatabaseUnreachable | Relay.InvalidRelaySettings,
  Bus.Bus
> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const names = options.hosts.map((host) => host.name)
      const missing = Placement.unplaced(options.placement, names)
      if (missing.length > 0) return yield* Effect.dieMessage(`no database for ${missing.join(", ")}`)
      const databases = yield* Effect.orDie(
        Databases.fromPlacement(
          options.placement,
          names,
          (here) => options.maxConnections ?? Math.max(16, connectionsNeeded(options, here)),
          options.applicationName ?? "mailroom"
        )
      )
      return boundaryOn(databases, options)
    })
  )

/**
 * The smallest pool the boundary works with on one database, for the hosts placed there (default: all): the
 * connections each storage keeps, LISTEN, and a few for everything else.
 */
export const connectionsNeeded = (
  options: PgBoundaryOptions,
  hostsHere: ReadonlyArray<string> = options.hosts.map((host) => host.name)
): number => {
  const local = localOf(options)
  const kept = hostsHere.reduce(
    (sum, host) =>
      sum +
      Connections.keptConnections({
        ...(options.writers === undefined ? {} : { writers: options.writers }),
        local: local.includes(host),
        claimers: options.relay?.workers ?? 1
      }),
    0
  )
  const listening = options.listen !== false && hostsHere.some((host) => local.includes(host)) ? 1 : 0
  return kept + listening + spareConnections
}

/** The default pool size of a single database: 16, or what the options need if that is more. */
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
  readonly onWait?: (wait: WaitForDatabase.Waiting) => Effect.Effect<void>
}

/** One wait for the database at start (see `ConnectRetry`): address, attempt, error, next attempt, the whole line. */
export type { Waiting } from "./internal/waitForDatabase.js"

/** The library's default wait at start: doubling from 250 ms, at most 5 s apart, for 30 s. */
export const defaultConnectRetry: ConnectRetry = {
  initialDelay: Duration.millis(250),
  maxDelay: Duration.seconds(5),
  giveUpAfter: Duration.seconds(30)
}

/** The wait of long-running programs (hosts, services, the sandbox): the same, until the database answers. */
export const waitUntilAnswered: ConnectRetry = { ...defaultConnectRetry, giveUpAfter: "never" }

/** PostgreSQL did not answer at start within the configured wait (see `ConnectRetry`). */
export { DatabaseUnreachable } from "./internal/startup.js"

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
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, PersistenceError | DatabaseUnreachable> => {
  const redacted = typeof url === "string" ? Redacted.make(url) : url
  const location = Placement.locationOf(redacted)
  const client = () =>
    PgClient.layer({
      url: redacted,
      maxConnections: options.maxConnections ?? 16,
      connectTimeout: Duration.seconds(10),
      applicationName: options.applicationName ?? "mailroom"
    })
  const connectFailed = (error: SqlError | WaitForDatabase.ProbeFailed) =>
    SqlFailure.persistence(`connect to ${location}`, error)
  if (options.connectRetry === false) return Layer.mapError(client(), connectFailed)
  const retry = resolveRetry(options.connectRetry ?? defaultConnectRetry)
  return Layer.scopedContext(
    WaitForDatabase.connect(Redacted.value(redacted), retry, (scope) =>
      Layer.buildWithScope(client(), scope)
    ).pipe(
      Effect.mapError((error) =>
        WaitForDatabase.passesLater(error)
          ? new DatabaseUnreachable({
              address: WaitForDatabase.addressOf(Redacted.value(redacted)).address,
              message: `PostgreSQL at ${WaitForDatabase.addressOf(Redacted.value(redacted)).address} did not answer within ${Duration.format(retry.giveUpAfter ?? Duration.zero)}: ${WaitForDatabase.describe(error)}`
            })
          : connectFailed(error)
      )
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
export const config = (hosts: ReadonlyArray<string>) =>
  Config.all({
    placement: Placement.config(hosts),
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
    maxConnections: Config.option(optionalPositiveInt("MAILROOM_PG_MAX_CONNECTIONS")),
    listen: Config.boolean("MAILROOM_LISTEN").pipe(Config.withDefault(true)),
    connectRetry: connectRetryConfig(),
    relay: Config.all({
      pollInterval: Config.duration("MAILROOM_POLL_INTERVAL").pipe(Config.withDefault(Duration.millis(250))),
      maxAttempts: positiveInt("MAILROOM_MAX_ATTEMPTS", 10),
      backoff: Config.duration("MAILROOM_RETRY_BACKOFF").pipe(Config.withDefault(Duration.millis(100))),
      maxBackoff: Config.duration("MAILROOM_RETRY_MAX_BACKOFF").pipe(
        Config.withDefault(Duration.seconds(30))
      ),
      workers: positiveInt("MAILROOM_RELAY_WORKERS", 1),
      inboxRetention: Config.duration("MAILROOM_INBOX_RETENTION").pipe(Config.withDefault(Duration.days(7))),
      outboxRetention: Config.duration("MAILROOM_OUTBOX_RETENTION").pipe(Config.withDefault(Duration.days(1)))
    })
  })

/**
 * The options of the durable boundary read from the environment (`DATABASE_URL`, `MAILROOM_DATABASE_URL_<HOST>`,
 * `MAILROOM_*`); unsafe relay settings are refused before anything connects.
 */
export const configured = (
  hosts: ReadonlyArray<AnyHostDefinition>
): Effect.Effect<PgPlacedOptions, ConfigError.ConfigError | Relay.InvalidRelaySettings> =>
  Effect.map(
    Effect.tap(config(hosts.map((host) => host.name)), (settings) => Relay.validate(settings.relay)),
    (settings): PgPlacedOptions => ({
      hosts,
      placement: settings.placement,
      schemaPrefix: settings.schemaPrefix,
      maxBatch: settings.maxBatch,
      writers: settings.writers,
      listen: settings.listen,
      relay: settings.relay,
      connectRetry: settings.connectRetry,
      ...(Option.isSome(settings.local) ? { local: settings.local.value } : {}),
      ...(Option.isSome(settings.maxConnections) ? { maxConnections: settings.maxConnections.value } : {})
    })
  )

/**
 * The durable boundary configured from the environment (`DATABASE_URL`, `MAILROOM_DATABASE_URL_<HOST>`,
 * `MAILROOM_*`); an invalid setting fails at start with an error naming the variable.
 */
export const layerConfig = (
  hosts: ReadonlyArray<AnyHostDefinition>
): Layer.Layer<
  CommitBoundary | Relay.Relay | Storages | Timers,
  PersistenceError | DatabaseUnreachable | Relay.InvalidRelaySettings | ConfigError.ConfigError,
  Bus.Bus
> => Layer.unwrapEffect(Effect.map(configured(hosts), layerPlaced))

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

const localOf = (options: PgBoundaryOptions) => options.local ?? options.hosts.map((host) => host.name)

/** Storages, commit boundary and relay over the given databases. */
const boundaryOn = (databases: ReadonlyArray<Databases.Database>, options: PgBoundaryOptions) => {
  const routing = Routing.make(options.hosts)
  const local = localOf(options)
  const unknown = local.filter((name) => !options.hosts.some((host) => host.name === name))
  if (unknown.length > 0) throw new Error(`local hosts not in the deployment: ${unknown.join(", ")}`)
  const prefix = options.schemaPrefix ?? ""
  if (!/^[a-z0-9_]*$/.test(prefix))
    throw new Error(`schema prefix "${prefix}" must be lower-case letters, digits or _`)
  const schemaOf = (host: string) => `${prefix}${host}`
  const relayOptions: Relay.RelayOptions = { ...options.relay, local }

  const storages = Layer.scoped(
    Storages,
    Effect.gen(function* () {
      yield* Relay.validate(relayOptions)
      // Start-up waits for the databases of the hosts that run here (every database, for a front door); the others
      // are migrated once they answer, in the background, so one context's outage does not stop another's start.
      const needed = (database: Databases.Database) =>
        local.length === 0 || database.hosts.some((host) => local.includes(host))
      const retry =
        options.connectRetry === false ? false : resolveRetry(options.connectRetry ?? defaultConnectRetry)
      for (const database of databases.filter(needed)) yield* Startup.migrate(database, schemaOf, retry)
      // In the background, a database is waited for as long as it takes.
      const patient = retry === false ? false : { ...retry, giveUpAfter: undefined }
      for (const database of databases.filter((d) => !needed(d)))
        yield* Effect.forkScoped(
          Effect.catchAll(Startup.migrate(database, schemaOf, patient), (error) =>
            Effect.logError(`migrating ${database.hosts.join(", ")} at ${database.location} failed`, error)
          )
        )
      const byHost = new Map<string, ContextStorage>()
      for (const database of databases) {
        for (const host of database.hosts) {
          byHost.set(
            host,
            yield* PgStorage.make(database.client, {
              host,
              schema: schemaOf(host),
              location: database.location,
              ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
              ...(options.writers === undefined ? {} : { writers: options.writers }),
              claimers: relayOptions.workers ?? 1
            })
          )
        }
      }
      const listeners = new Set<(wakeup: Wakeup) => void>()
      if (options.listen !== false) {
        for (const database of databases.filter((d) => d.hosts.some((host) => local.includes(host)))) {
          const hostOfSchema = new Map(database.hosts.map((host) => [schemaOf(host), host]))
          yield* Notifications.listen(
            database.client,
            (schema) => hostOfSchema.get(schema),
            (wakeup) => {
              for (const listener of listeners) listener(wakeup)
            }
          )
        }
      }
      const all = options.hosts.map((host) => byHost.get(host.name)!)
      return Storages.of({
        all,
        of: (host) => byHost.get(host),
        onNotified: (listener) =>
          Effect.acquireRelease(
            Effect.sync(() => listeners.add(listener)),
            () => Effect.sync(() => listeners.delete(listener))
          )
      })
    })
  )

  const handover = options.handover === undefined ? {} : { handover: options.handover }
  return Layer.merge(
    DurableCommit.layer(routing, { ...handover, relay: relayOptions }),
    StoredTimers.layer
  ).pipe(Layer.provideMerge(storages))
}

/**
 * Refuses a pool too small for the connections the boundary keeps: the statements that need a pooled connection
 * besides them (a failed delivery's retry bookkeeping among them) would wait forever.
 */
const validatePool = (maxConnections: number | undefined, needed: number) => {
  // node-postgres' default pool size
  const max = maxConnections ?? 10
  return needed <= max
    ? Effect.void
    : Effect.fail(
        new Relay.InvalidRelaySettings({
          message: `the PostgreSQL pool has ${max} connections; with these settings the boundary keeps up to ${needed - spareConnections} (commit and front-door writers of every host, the relay's claims, writes and marks, LISTEN) and needs ${spareConnections} more for everything else: give the pool at least ${needed} connections (MAILROOM_PG_MAX_CONNECTIONS, or unset it to size the pool from the settings), or use fewer relay workers or commit writers`
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
