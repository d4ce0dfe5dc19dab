import { Effect, Layer } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import * as DirectCommit from "../../src/commit/DirectCommit.js"
import * as Faults from "../../src/commit/Faults.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as PgBoundary from "../../src/pg/PgBoundary.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import * as AccountingHost from "../accounting/AccountingHost.js"
import * as RondelHost from "../rondel/RondelHost.js"

/** Both bounded contexts of the reference application. */
export const definitions = [RondelHost.definition, AccountingHost.definition] as const

/** Name of a host of the reference application. */
export type HostName = (typeof definitions)[number]["name"]

/** The Rondel and Accounting front doors over a running application (choose the boundary by the layer below it). */
export const layerHosts = Layer.merge(RondelHost.layer, AccountingHost.layer)

/** The runtime services every boundary shares. */
const layerRuntime = (system: ActorSystem.ActorSystemOptions = {}) =>
  Layer.mergeAll(ActorSystem.layerWith(system), MessageIds.layer, Bus.layer, Faults.layer)

/** The whole application on the in-memory direct-commit boundary. */
export const layerMemory = layerHosts.pipe(
  Layer.provideMerge(Application.layer(definitions)),
  Layer.provideMerge(DirectCommit.layer),
  Layer.provideMerge(layerRuntime())
)

/** Options of the durable application. */
export interface PostgresOptions {
  /** Connection URL (the sandbox defaults it to DATABASE_URL). */
  readonly url: string
  /** Relay settings (poll interval, retries, retention...). */
  readonly relay?: PgBoundary.PgBoundaryOptions["relay"]
  readonly schemaPrefix?: string
  /** Write produced messages straight into their destinations' inboxes in the commit's transaction (default true). */
  readonly inlineRelay?: boolean
  /** Actor system defaults (supervision, mailboxes, passivation). */
  readonly system?: ActorSystem.ActorSystemOptions
  /**
   * How to wait for PostgreSQL at start, over the programs' default (until it answers; `MAILROOM_PG_CONNECT_MAX_DELAY`
   * and `MAILROOM_PG_CONNECT_GIVE_UP` change it); `false`: one attempt.
   */
  readonly connectRetry?: PgBoundary.ConnectRetry | false
}

/**
 * The application of the given local hosts on the durable PostgreSQL boundary: state, outbox and inbox in
 * each context's schema, relay between them. Other hosts of the topology may run in other processes.
 */
export const layerPostgresApplication = (
  options: PostgresOptions & { readonly local: ReadonlyArray<HostName> }
) => {
  const boundary: PgBoundary.PgBoundaryOptions = {
    hosts: definitions,
    local: options.local,
    ...(options.relay === undefined ? {} : { relay: options.relay }),
    ...(options.schemaPrefix === undefined ? {} : { schemaPrefix: options.schemaPrefix }),
    ...(options.inlineRelay === undefined ? {} : { inlineRelay: options.inlineRelay })
  }
  const client = Layer.unwrapEffect(
    Effect.map(PgBoundary.connectRetryConfig(PgBoundary.waitUntilAnswered), (configured) =>
      PgBoundary.layerClient(options.url, {
        maxConnections: PgBoundary.defaultPoolSize(boundary),
        connectRetry: options.connectRetry === false ? false : { ...configured, ...options.connectRetry }
      })
    )
  )
  return Application.layer(definitions.filter((definition) => options.local.includes(definition.name))).pipe(
    Layer.provideMerge(PgBoundary.layer(boundary)),
    Layer.provideMerge(layerRuntime(options.system)),
    Layer.provideMerge(client)
  )
}

/** The whole application (both hosts in this process) on the durable PostgreSQL boundary. */
export const layerPostgres = (options: PostgresOptions) =>
  layerHosts.pipe(
    Layer.provideMerge(layerPostgresApplication({ ...options, local: ["rondel", "accounting"] }))
  )
