import { Layer } from "effect"
import type * as ActorSystem from "../runtime/ActorSystem.js"
import * as Application from "./Application.js"
import type * as Bus from "./Bus.js"
import { CommitBoundary } from "./CommitBoundary.js"
import * as DirectCommit from "./DirectCommit.js"
import type * as Host from "./Host.js"
import type { AnyHostDefinition } from "./HostDefinition.js"
import * as Runtime from "./internal/runtime.js"

/** What a running application provides: its hosts, the actor system under them, the bus feed and the boundary. */
export type Services = Application.Application | ActorSystem.ActorSystem | Bus.Bus | CommitBoundary

/** The hosts of an application and how they run. */
export interface Options {
  /** Every host of the application (routing is derived from all their declarations). */
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  /** Per-host runtime options (mailbox size, concurrency, supervision, conflict retries). */
  readonly host?: (name: string) => Host.HostOptions
  /** Actor system defaults (supervision, mailboxes, passivation, shutdown). */
  readonly system?: ActorSystem.ActorSystemOptions
}

/** Options of an application on the in-memory boundary. */
export interface MemoryOptions extends Options {
  /** Options of the in-memory boundary (how many message ids it remembers per host). */
  readonly boundary?: DirectCommit.DirectCommitOptions
}

/**
 * Your hosts running on the in-memory direct-commit boundary, in one layer: fast and not durable (a restart forgets
 * everything). For tests, `TestApp.layer` from `mailroom/testing` adds deterministic ids, settle and faults.
 */
export const layerMemory = (options: MemoryOptions): Layer.Layer<Services> =>
  Application.layer(options.hosts, options.host === undefined ? {} : { host: options.host }).pipe(
    Layer.provideMerge(Layer.effect(CommitBoundary, DirectCommit.makeWith(options.boundary))),
    Layer.provideMerge(Runtime.layer(options.system))
  )
