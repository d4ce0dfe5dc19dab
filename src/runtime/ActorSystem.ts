import {
  Config,
  type ConfigError,
  Context,
  Duration,
  Effect,
  Layer,
  Option,
  PubSub,
  type Queue,
  type Scope
} from "effect"
import type * as Actor from "./Actor.js"
import * as ActorInternal from "./internal/actor.js"
import type { ActorEnv, ActorInstance } from "./internal/env.js"
import { Pending } from "./internal/pending.js"
import * as Supervisor from "./Supervisor.js"

/** System-wide defaults of an actor system; each actor may override them in its options. */
export interface ActorSystemOptions {
  /** Supervision policy defaults, merged over `Supervisor.defaultPolicy`. */
  readonly defaults?: Partial<Supervisor.SupervisionPolicy>
  /** How long a closing actor waits for its mailboxes to drain before interrupting (default 10 seconds). */
  readonly shutdownTimeout?: Duration.DurationInput
  /** Default bounded mailbox size per key (default 1024). */
  readonly mailboxCapacity?: number
  /** Default passivation delay of an idle key's child (default 30 seconds). */
  readonly idleTimeout?: Duration.DurationInput
  /** Default limit of keys running their handler at once per actor (default unbounded). */
  readonly maxConcurrentKeys?: number
  /** How many escalations `escalations` keeps (default 1000, oldest dropped first). */
  readonly escalationHistory?: number
}

/** The actor system: spawns supervised actors and observes all of them (stats, escalations, quiescence). */
export class ActorSystem extends Context.Tag("mailroom/runtime/ActorSystem")<
  ActorSystem,
  {
    /** Starts an actor for the lifetime of the current scope; closing the scope shuts it down gracefully. */
    readonly spawn: <Msg, A, E>(
      options: Actor.ActorOptions<Msg>,
      behaviour: Actor.Behaviour<Msg, A, E>
    ) => Effect.Effect<Actor.ActorRef<Msg, A, E>, never, Scope.Scope>
    /** Stats of every running actor. */
    readonly actors: Effect.Effect<ReadonlyArray<Actor.ActorStats>>
    /** Escalations so far (most recent last, bounded by `escalationHistory`). */
    readonly escalations: Effect.Effect<ReadonlyArray<Supervisor.Escalation>>
    /** A subscription to escalations from now on, for the lifetime of the scope. */
    readonly subscribeEscalations: Effect.Effect<Queue.Dequeue<Supervisor.Escalation>, never, Scope.Scope>
    /** A subscription to every restart of every actor's children from now on, for the lifetime of the scope. */
    readonly subscribeRestarts: Effect.Effect<Queue.Dequeue<Supervisor.Restart>, never, Scope.Scope>
    /** Completes when no actor has a message queued, in flight or waiting for a restart. */
    readonly awaitQuiescent: Effect.Effect<void>
    /** Messages queued + in flight + restarts pending, over all actors. */
    readonly pending: Effect.Effect<number>
  }
>() {}

/** Builds an actor system with the given defaults; closing its scope shuts down every actor still running. */
export const makeWith = (
  options: ActorSystemOptions
): Effect.Effect<Context.Tag.Service<ActorSystem>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const policy = Supervisor.merge(Supervisor.defaultPolicy, options.defaults)
    const historySize = options.escalationHistory ?? 1000
    const pending = new Pending()
    const actors = new Set<ActorInstance>()
    const history: Array<Supervisor.Escalation> = []
    const hub = yield* PubSub.unbounded<Supervisor.Escalation>()
    yield* Effect.addFinalizer(() => PubSub.shutdown(hub))
    // Unbounded like escalations, so a subscriber that drains late still sees every restart (each key's restart
    // budget limits their rate).
    const restarts = yield* PubSub.unbounded<Supervisor.Restart>()
    yield* Effect.addFinalizer(() => PubSub.shutdown(restarts))

    const escalate = (escalation: Supervisor.Escalation): Effect.Effect<void> =>
      Effect.suspend(() => {
        history.push(escalation)
        if (history.length > historySize) history.shift()
        return PubSub.publish(hub, escalation)
      }).pipe(
        Effect.zipRight(
          Effect.logError(
            `restart budget spent: key stopped, ${escalation.parked} messages parked`,
            escalation.cause
          ).pipe(
            Effect.annotateLogs({
              actor: escalation.actor,
              key: escalation.key,
              restarts: escalation.restarts
            })
          )
        )
      )

    const env: ActorEnv = {
      policy,
      mailboxCapacity: options.mailboxCapacity ?? 1024,
      idleTimeout: options.idleTimeout ?? Duration.seconds(30),
      maxConcurrentKeys: options.maxConcurrentKeys,
      shutdownTimeout: options.shutdownTimeout ?? Duration.seconds(10),
      pending,
      escalate,
      restarted: (restart) => PubSub.publish(restarts, restart),
      register: (actor) => {
        actors.add(actor)
      },
      unregister: (actor) => {
        actors.delete(actor)
      }
    }

    // Actors normally close with the scope that spawned them; this catches those that outlive the system.
    yield* Effect.addFinalizer((exit) =>
      Effect.forEach(Array.from(actors), (actor) => actor.shutdown(exit), {
        concurrency: "unbounded",
        discard: true
      })
    )

    return ActorSystem.of({
      spawn: (actorOptions, behaviour) => ActorInternal.make(env, actorOptions, behaviour),
      actors: Effect.sync(() => Array.from(actors, (actor) => actor.stats())),
      escalations: Effect.sync(() => history.slice()),
      subscribeEscalations: PubSub.subscribe(hub),
      subscribeRestarts: PubSub.subscribe(restarts),
      awaitQuiescent: pending.awaitZero,
      pending: Effect.sync(() => pending.value)
    })
  })

/** Builds an actor system with the default options. */
export const make: Effect.Effect<Context.Tag.Service<ActorSystem>, never, Scope.Scope> = makeWith({})

/** The actor system with default options. */
export const layer: Layer.Layer<ActorSystem> = Layer.scoped(ActorSystem, make)

/** The actor system with the given defaults. */
export const layerWith = (options: ActorSystemOptions): Layer.Layer<ActorSystem> =>
  Layer.scoped(ActorSystem, makeWith(options))

/** Spawns an actor in the current scope using the `ActorSystem` from the context. */
export const spawn = <Msg, A, E>(
  options: Actor.ActorOptions<Msg>,
  behaviour: Actor.Behaviour<Msg, A, E>
): Effect.Effect<Actor.ActorRef<Msg, A, E>, never, ActorSystem | Scope.Scope> =>
  Effect.flatMap(ActorSystem, (system) => system.spawn(options, behaviour))

/** System defaults read from the environment (`MAILROOM_MAILBOX_CAPACITY`, `MAILROOM_IDLE_TIMEOUT`, ...). */
export const config: Config.Config<ActorSystemOptions> = Config.all({
  mailboxCapacity: positiveInt("MAILROOM_MAILBOX_CAPACITY", 1024),
  idleTimeout: Config.duration("MAILROOM_IDLE_TIMEOUT").pipe(Config.withDefault(Duration.seconds(30))),
  shutdownTimeout: Config.duration("MAILROOM_SHUTDOWN_TIMEOUT").pipe(
    Config.withDefault(Duration.seconds(10))
  ),
  maxConcurrentKeys: Config.option(
    Config.integer("MAILROOM_MAX_CONCURRENT_KEYS").pipe(
      Config.validate({ message: "must be a whole number of at least 1", validation: (n) => n >= 1 })
    )
  ),
  maxRestarts: positiveInt("MAILROOM_MAX_RESTARTS", Supervisor.defaultPolicy.maxRestarts),
  within: Config.duration("MAILROOM_RESTART_WINDOW").pipe(Config.withDefault(Duration.seconds(10))),
  maxAttempts: positiveInt("MAILROOM_POISON_ATTEMPTS", Supervisor.defaultPolicy.maxAttempts)
}).pipe(
  Config.map(
    (settings): ActorSystemOptions => ({
      mailboxCapacity: settings.mailboxCapacity,
      idleTimeout: settings.idleTimeout,
      shutdownTimeout: settings.shutdownTimeout,
      ...(Option.isSome(settings.maxConcurrentKeys)
        ? { maxConcurrentKeys: settings.maxConcurrentKeys.value }
        : {}),
      defaults: {
        maxRestarts: settings.maxRestarts,
        within: settings.within,
        maxAttempts: settings.maxAttempts
      }
    })
  )
)

/** The actor system configured from the environment; an invalid setting fails at start naming the variable. */
export const layerConfig: Layer.Layer<ActorSystem, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(config, layerWith)
)

// internal

function positiveInt(name: string, fallback: number) {
  return Config.integer(name).pipe(
    Config.validate({ message: "must be a whole number of at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(fallback)
  )
}
