import { Context, Duration, Effect, Layer, Schema } from "effect"
import type { ActorStats } from "../runtime/Actor.js"
import * as ActorSystem from "../runtime/ActorSystem.js"
import type * as Bus from "./Bus.js"
import { CommitBoundary, type PersistenceError } from "./CommitBoundary.js"
import * as FrontDoor from "./FrontDoor.js"
import * as Host from "./Host.js"
import type { AnyHostDefinition, DecodeFailure, HostDefinition } from "./HostDefinition.js"
import type * as MessageIds from "./MessageIds.js"

/** `settle` gave up: work was still queued or in flight when the timeout passed. */
export class SettleTimeout extends Schema.TaggedError<SettleTimeout>()("SettleTimeout", {
  timeoutMillis: Schema.Number,
  pending: Schema.Number,
  backlog: Schema.Number
}) {}

/** Per-host runtime figures. */
export interface HostStats extends ActorStats {
  readonly host: string
}

/** A set of running hosts over one boundary: find a host, wait for convergence, read stats. */
export class Application extends Context.Tag("mailroom/commit/Application")<
  Application,
  {
    /** Which boundary the hosts commit through. */
    readonly boundary: "memory" | "postgres"
    /** All running hosts by name. */
    readonly hosts: ReadonlyMap<string, Host.Host<any, any, any>>
    /** Every host's front door by name: the running ones and those running in other processes. */
    readonly frontDoors: ReadonlyMap<string, FrontDoor.FrontDoor<any, any, any>>
    /** The running host of a definition, typed by it (a host running in this process). */
    readonly host: <S, In, Ev, Cmd, E extends DecodeFailure>(
      definition: HostDefinition<S, In, Ev, Cmd, E>
    ) => Host.Host<S, In, E>
    /**
     * The front door of a host, typed by its definition: of a host running here, or of one running in other
     * processes (`remote`), whose messages the boundary stores for them.
     */
    readonly frontDoor: <S, In, Ev, Cmd, E extends DecodeFailure>(
      definition: HostDefinition<S, In, Ev, Cmd, E>
    ) => FrontDoor.FrontDoor<S, In, E>
    /** Waits until every mailbox is empty, nothing is in flight and nothing committed awaits delivery. */
    readonly settle: (options?: {
      readonly timeout?: Duration.DurationInput
    }) => Effect.Effect<void, SettleTimeout | PersistenceError>
    /** Runtime figures per host. */
    readonly stats: Effect.Effect<ReadonlyArray<HostStats>>
  }
>() {}

/**
 * Starts the given hosts for the lifetime of the layer; `remote` hosts run in other processes and get a front door
 * here only.
 */
export const layer = (
  definitions: ReadonlyArray<AnyHostDefinition>,
  options: {
    readonly host?: (name: string) => Host.HostOptions
    readonly remote?: ReadonlyArray<AnyHostDefinition>
  } = {}
): Layer.Layer<
  Application,
  never,
  ActorSystem.ActorSystem | CommitBoundary | Bus.Bus | MessageIds.MessageIds
> =>
  Layer.scoped(
    Application,
    Effect.gen(function* () {
      const system = yield* ActorSystem.ActorSystem
      const boundary = yield* CommitBoundary
      const hosts = new Map<string, Host.Host<any, any, any>>()
      for (const definition of definitions) {
        hosts.set(definition.name, yield* Host.start(definition, options.host?.(definition.name) ?? {}))
      }
      const frontDoors = new Map<string, FrontDoor.FrontDoor<any, any, any>>(hosts)
      for (const definition of options.remote ?? []) {
        if (!hosts.has(definition.name)) frontDoors.set(definition.name, yield* FrontDoor.make(definition))
      }

      // Quiescence of the actors and an empty backlog must hold at the same moment: delivering the backlog
      // fills mailboxes again, so check until both are seen empty back to back.
      const converged: Effect.Effect<void, PersistenceError> = Effect.gen(function* () {
        while (true) {
          yield* system.awaitQuiescent
          const backlog = yield* boundary.backlog
          const pending = yield* system.pending
          if (backlog === 0 && pending === 0) return
          if (backlog > 0) yield* Effect.sleep(Duration.millis(5))
        }
      })

      return Application.of({
        boundary: boundary.kind,
        hosts,
        frontDoors,
        host: (definition) => {
          const host = hosts.get(definition.name)
          if (host === undefined)
            throw new Error(
              `host ${definition.name} does not run in this process${frontDoors.has(definition.name) ? " (use its front door)" : ""}`
            )
          return host
        },
        frontDoor: (definition) => {
          const door = frontDoors.get(definition.name)
          if (door === undefined) throw new Error(`host ${definition.name} is not part of this application`)
          return door
        },
        settle: (settleOptions) => {
          const timeout = Duration.decode(settleOptions?.timeout ?? Duration.seconds(30))
          return converged.pipe(
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () =>
                new SettleTimeout({ timeoutMillis: Duration.toMillis(timeout), pending: -1, backlog: -1 })
            }),
            Effect.catchTag("SettleTimeout", (error) =>
              Effect.flatMap(
                Effect.all([system.pending, Effect.orElseSucceed(boundary.backlog, () => -1)]),
                ([p, b]) =>
                  Effect.fail(
                    new SettleTimeout({ timeoutMillis: error.timeoutMillis, pending: p, backlog: b })
                  )
              )
            )
          )
        },
        stats: Effect.forEach([...hosts.values()], (host) =>
          Effect.map(host.actor.stats, (stats) => ({ ...stats, host: host.name }))
        )
      })
    })
  )
