import { type ConfigError, Effect, Layer, type Redacted } from "effect"
import * as Application from "../commit/Application.js"
import type { PersistenceError } from "../commit/CommitBoundary.js"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import * as Runtime from "../commit/internal/runtime.js"
import type * as Mailroom from "../commit/Mailroom.js"
import type * as Relay from "../commit/Relay.js"
import * as ActorSystem from "../runtime/ActorSystem.js"
import * as PgBoundary from "./PgBoundary.js"
import * as Placement from "./Placement.js"

/** What a running application on PostgreSQL provides: `Mailroom.Services` and the relay's operator views. */
export type Services = Mailroom.Services | Relay.Relay

/** Why an application on PostgreSQL could not start. */
export type StartError = PersistenceError | PgBoundary.DatabaseUnreachable | Relay.InvalidRelaySettings

/** The hosts of a durable application, where their tables live, and how the boundary runs. */
export interface Options extends Mailroom.Options, Omit<PgBoundary.PgBoundaryOptions, "hosts"> {
  /** One database for every host (or give `placement`). */
  readonly url?: string | Redacted.Redacted
  /** Where each host's tables live, a database per host if you like; takes precedence over `url`. */
  readonly placement?: Placement.Placement
  /** Pool size per database (default: what the hosts placed there need, at least 16). */
  readonly maxConnections?: number
  /** The `application_name` of the connections (default "mailroom"). */
  readonly applicationName?: string
}

/**
 * Your hosts on the durable PostgreSQL boundary, in one layer: each context's schema migrated on its database; state,
 * audit entry, inbox mark and outbox rows committed together; the relay between contexts. Hosts not in `local` run in
 * other processes and get a front door here only. Start-up waits for a database that does not answer yet as
 * `connectRetry` says (default 30 seconds).
 */
export const layer = (options: Options): Layer.Layer<Services, StartError> => {
  const { host, system, url, placement, ...boundary } = options
  const where = placement ?? (url === undefined ? undefined : Placement.single(url))
  if (where === undefined) return Layer.die(new Error("MailroomPg.layer needs a url or a placement"))
  return applicationOn(options.hosts, options.local, host).pipe(
    Layer.provideMerge(PgBoundary.layerPlaced({ ...boundary, placement: where })),
    Layer.provideMerge(Runtime.layer(system))
  )
}

/**
 * Your hosts on PostgreSQL configured from the environment: `DATABASE_URL`, `MAILROOM_DATABASE_URL_<HOST>`,
 * `MAILROOM_HOSTS` and the other `MAILROOM_*` settings of the boundary and the actor system. An invalid setting fails
 * at start naming the variable.
 */
export const layerConfig = (
  options: Pick<Options, "hosts" | "host">
): Layer.Layer<Services, StartError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(Effect.all([PgBoundary.configured(options.hosts), ActorSystem.config]), ([boundary, system]) =>
      layer({ ...boundary, system, ...(options.host === undefined ? {} : { host: options.host }) })
    )
  )

// internal

/** The local hosts running, the others (in other processes) as front doors. */
const applicationOn = (
  hosts: ReadonlyArray<AnyHostDefinition>,
  local: ReadonlyArray<string> = hosts.map((host) => host.name),
  host: Mailroom.Options["host"]
) =>
  Application.layer(
    hosts.filter((definition) => local.includes(definition.name)),
    {
      remote: hosts.filter((definition) => !local.includes(definition.name)),
      ...(host === undefined ? {} : { host })
    }
  )
