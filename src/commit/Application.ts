import { Clock, Context, Duration, Effect, Layer, Schema } from "effect"
import type { ActorStats } from "../runtime/Actor.js"
import * as ActorSystem from "../runtime/ActorSystem.js"
import type * as Bus from "./Bus.js"
import { CommitBoundary, type PersistenceError } from "./CommitBoundary.js"
import * as FrontDoor from "./FrontDoor.js"
import * as Host from "./Host.js"
import type { AnyHostDefinition, DecodeFailure, HostDefinition } from "./HostDefinition.js"
import type * as MessageIds from "./MessageIds.js"
import * as Timers from "./Timers.js"

/** `settle` gave up: work was still queued or in flight when the timeout passed. */
export class SettleTimeout extends Schema.TaggedError<SettleTimeout>()("SettleTimeout", {
  timeoutMillis: Schema.Number,
  pending: Schema.Number,
  backlog: Schema.Number,
  /** Scheduled messages not yet delivered, when the settle waited for them. */
  timers: Schema.optional(Schema.Number)
}) {}

/** Whether a settle waits for scheduled messages to fall due and be handled ("wait") or not ("ignore", the default). */
export type SettleTimers = "wait" | "ignore"

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
    /**
     * Waits until every mailbox is empty, nothing is in flight and nothing committed awaits delivery; with
     * `timers: "wait"`, also until every scheduled message has fallen due and been handled (on the live clock).
     */
    readonly settle: (options?: {
      readonly timeout?: Duration.DurationInput
      readonly timers?: SettleTimers
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
      // Optional: a deployment without a timers service has no scheduled messages to wait for.
      const timersService = yield* Effect.serviceOption(Timers.Timers)
      const pendingTimers = timersService._tag === "Some" ? timersService.value.pending : Effect.succeed([])
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
      const converged = (timers: SettleTimers): Effect.Effect<void, PersistenceError> =>
        Effect.gen(function* () {
          while (true) {
            yield* system.awaitQuiescent
            const backlog = yield* boundary.backlog
            const pending = yield* system.pending
            if (backlog === 0 && pending === 0) {
              if (timers === "ignore") return
              // Scheduled messages are not backlog until due: sleep until the next one falls due.
              const waiting = yield* pendingTimers
              if (waiting.length === 0) return
              const now = yield* Clock.currentTimeMillis
              yield* Effect.sleep(
                Duration.millis(Math.max(1, Math.min(...waiting.map((t) => t.dueAt)) - now))
              )
              continue
            }
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
          const timers = settleOptions?.timers ?? "ignore"
          return converged(timers).pipe(
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () =>
                new SettleTimeout({ timeoutMillis: Duration.toMillis(timeout), pending: -1, backlog: -1 })
            }),
            Effect.catchTag("SettleTimeout", (error) =>
              Effect.flatMap(
                Effect.all([
                  system.pending,
                  Effect.orElseSucceed(boundary.backlog, () => -1),
                  timers === "wait"
                    ? Effect.orElseSucceed(
                        Effect.map(pendingTimers, (t) => t.length),
                        () => -1
                      )
                    : Effect.succeed(undefined)
                ]),
                ([p, b, t]) =>
                  Effect.fail(
                    new SettleTimeout({
                      timeoutMillis: error.timeoutMillis,
                      pending: p,
                      backlog: b,
                      ...(t === undefined ? {} : { timers: t })
                    })
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
