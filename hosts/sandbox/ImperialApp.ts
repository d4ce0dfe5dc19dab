import { type Duration, Effect, Layer } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import * as DirectCommit from "../../src/commit/DirectCommit.js"
import * as Faults from "../../src/commit/Faults.js"
import type { AnyHostDefinition } from "../../src/commit/HostDefinition.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as PgBoundary from "../../src/pg/PgBoundary.js"
import * as Placement from "../../src/pg/Placement.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import * as AccountingClient from "../accounting/AccountingClient.js"
import * as AccountingHost from "../accounting/AccountingHost.js"
import * as RondelClient from "../rondel/RondelClient.js"
import * as RondelHost from "../rondel/RondelHost.js"

/** Both bounded contexts of the reference application (Rondel with the default payment deadline). */
export const definitions = [RondelHost.definition, AccountingHost.definition] as const

/** Options of a deployment of the reference application's domain. */
export interface DomainOptions {
  /** How long a paid move waits for its payment outcome (default 60 s: `RondelHost.defaultPaymentDeadline`). */
  readonly paymentDeadline?: Duration.DurationInput
}

/** Both bounded contexts of the reference application, with the deployment's domain options. */
export const definitionsWith = (options: DomainOptions = {}) =>
  [
    options.paymentDeadline === undefined
      ? RondelHost.definition
      : RondelHost.makeDefinition({ paymentDeadline: options.paymentDeadline }),
    AccountingHost.definition
  ] as const

/** Name of a host of the reference application. */
export type HostName = (typeof definitions)[number]["name"]

/** Names of the reference application's hosts. */
export const hostNames: ReadonlyArray<HostName> = definitions.map((definition) => definition.name)

/** The Rondel and Accounting front doors over a running application (choose the boundary by the layer below it). */
export const layerHosts = Layer.merge(RondelClient.layer, AccountingClient.layer)

/** The runtime services every boundary shares. */
const layerRuntime = (system: ActorSystem.ActorSystemOptions = {}) =>
  Layer.mergeAll(ActorSystem.layerWith(system), MessageIds.layer, Bus.layer, Faults.layer)

/** A change the sandbox makes to each host definition it runs (its fault injection); none by default. */
export type Wrap = <D extends AnyHostDefinition>(definition: D) => D

/** The whole application on the in-memory direct-commit boundary, each host definition passed through `wrap`. */
export const layerMemoryWith = (wrap: Wrap = (definition) => definition, options: DomainOptions = {}) =>
  layerHosts.pipe(
    Layer.provideMerge(Application.layer(definitionsWith(options).map(wrap))),
    Layer.provideMerge(DirectCommit.layer),
    Layer.provideMerge(layerRuntime())
  )

/** The whole application on the in-memory direct-commit boundary. */
export const layerMemory = layerMemoryWith()

/** Options of the durable application. */
export interface PostgresOptions extends DomainOptions {
  /** One database for both hosts (or give `placement`). */
  readonly url?: string
  /** Where each host's tables live: a database per host (see `Placement`); takes precedence over `url`. */
  readonly placement?: Placement.Placement
  /** Relay settings (poll interval, retries, retention...). */
  readonly relay?: PgBoundary.PgBoundaryOptions["relay"]
  readonly schemaPrefix?: string
  /** Actor system defaults (supervision, mailboxes, passivation). */
  readonly system?: ActorSystem.ActorSystemOptions
  /**
   * How to wait for PostgreSQL at start, over the programs' default (until it answers; `MAILROOM_PG_CONNECT_MAX_DELAY`
   * and `MAILROOM_PG_CONNECT_GIVE_UP` change it); `false`: one attempt.
   */
  readonly connectRetry?: PgBoundary.ConnectRetry | false
  /** Hand messages to consumers in this process right after the commit (default true; see `PgBoundary`). */
  readonly handover?: boolean
  /** A change made to each host definition that runs here (the sandbox's fault injection). */
  readonly wrap?: Wrap
}

/**
 * The application of the given local hosts on the durable PostgreSQL boundary: state, outbox and inbox in each
 * context's schema on its own database, the relay between them. Other hosts may run in other processes; with no
 * local host, this process is a front door that only stores what it is given.
 */
export const layerPostgresApplication = (
  options: PostgresOptions & { readonly local: ReadonlyArray<HostName> }
) =>
  Application.layer(
    definitionsWith(options)
      .filter((definition) => options.local.includes(definition.name))
      .map(options.wrap ?? ((definition) => definition)),
    { remote: definitions.filter((definition) => !options.local.includes(definition.name)) }
  ).pipe(
    Layer.provideMerge(
      Layer.unwrapEffect(
        Effect.map(PgBoundary.connectRetryConfig(PgBoundary.waitUntilAnswered), (configured) =>
          PgBoundary.layerPlaced({
            hosts: definitions,
            local: options.local,
            placement: options.placement ?? Placement.single(options.url ?? ""),
            connectRetry: options.connectRetry === false ? false : { ...configured, ...options.connectRetry },
            ...(options.relay === undefined ? {} : { relay: options.relay }),
            ...(options.schemaPrefix === undefined ? {} : { schemaPrefix: options.schemaPrefix }),
            ...(options.handover === undefined ? {} : { handover: options.handover })
          })
        )
      )
    ),
    Layer.provideMerge(layerRuntime(options.system))
  )

/**
 * The application on the durable PostgreSQL boundary with both front doors: both hosts run in this process, or only
 * those in `local` (none: a front door that only stores, for host processes elsewhere to handle).
 */
export const layerPostgres = (options: PostgresOptions & { readonly local?: ReadonlyArray<HostName> }) =>
  layerHosts.pipe(
    Layer.provideMerge(layerPostgresApplication({ ...options, local: options.local ?? hostNames }))
  )
