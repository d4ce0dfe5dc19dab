import { Cause, Chunk, Duration, Effect, Queue, Schedule } from "effect"
import type { Scope } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import type * as Supervisor from "../../src/runtime/Supervisor.js"
import * as Commands from "./Commands.js"
import * as Feed from "./Feed.js"

/** Watches the running application: the bus's observations, escalations, restarts and newly parked messages. */
export interface Watch {
  /** Everything seen since the last call, in arrival order (supervision changes last). */
  readonly drain: Effect.Effect<ReadonlyArray<Feed.FeedItem>>
  /** Hands what is seen to `emit` as it happens, until interrupted. */
  readonly live: (emit: (items: ReadonlyArray<Feed.FeedItem>) => Effect.Effect<void>) => Effect.Effect<never>
}

/** Subscribes for the lifetime of the scope; nothing that happens after this returns is missed. */
export const make: Effect.Effect<
  Watch,
  never,
  Scope.Scope | Bus.Bus | ActorSystem.ActorSystem | Application.Application
> = Effect.gen(function* () {
  const bus = yield* Bus.Bus
  const system = yield* ActorSystem.ActorSystem
  const app = yield* Application.Application
  const observations = yield* bus.subscribe
  const escalations = yield* system.subscribeEscalations
  const restarts = yield* system.subscribeRestarts
  const parked = new Set<string>()

  // Each restart is an event of the actor system: one line per restart, however close together they come.
  const restarted = (restart: Supervisor.Restart): ReadonlyArray<Feed.FeedItem> => {
    // Every actor of the application is a host, and a host's messages are envelopes.
    if (!app.hosts.has(restart.actor)) return []
    const envelope = restart.message as Envelope
    const item: Feed.FeedItem = {
      _tag: "HostRestarted",
      host: restart.actor,
      envelope,
      attempts: restart.attempts,
      restarts: restart.restarts,
      cause: Cause.pretty(restart.cause).split("\n")[0] ?? ""
    }
    // On Postgres the relay asked for the message and owns it: the supervisor's parked copy is dropped at once
    // (Host.ts) and the relay delivers the message again after a backoff.
    return restart.parkedId !== undefined && app.boundary === "postgres"
      ? [
          item,
          {
            _tag: "HandedBack",
            host: restart.actor,
            envelope,
            attempts: restart.attempts,
            relayMaxAttempts: Commands.relayMaxAttempts
          }
        ]
      : [item]
  }

  // Parking is not an observation: it is found by comparing with what was seen last time.
  const supervision = Effect.gen(function* () {
    const items: Array<Feed.FeedItem> = []
    for (const host of app.hosts.values()) {
      const now = yield* host.actor.parked
      for (const message of now) {
        if (parked.has(message.id)) continue
        parked.add(message.id)
        items.push({
          _tag: "MessageParked",
          id: message.id,
          host: host.name,
          envelope: message.message,
          attempts: message.attempts,
          cause: message.causeText.split("\n")[0] ?? ""
        })
      }
    }
    return items
  })

  const drain = Effect.gen(function* () {
    const seen = Chunk.toReadonlyArray(yield* Queue.takeAll(observations))
    const stopped = Chunk.toReadonlyArray(yield* Queue.takeAll(escalations))
    const restartedNow = Chunk.toReadonlyArray(yield* Queue.takeAll(restarts))
    return [
      ...seen.flatMap((observation) => Feed.fromObservation(observation, bus.consumersOf)),
      ...restartedNow.flatMap(restarted),
      ...stopped.map(
        (escalation): Feed.FeedItem => ({
          _tag: "KeyStopped",
          host: escalation.actor,
          key: escalation.key,
          restarts: escalation.restarts,
          parked: escalation.parked,
          cause: Cause.pretty(escalation.cause).split("\n")[0] ?? ""
        })
      ),
      ...(yield* supervision)
    ]
  })

  return {
    drain,
    // One loop drains everything every 25 ms: parking has no event to wait on, and a single drainer keeps the
    // feed in arrival order.
    live: (emit) =>
      Effect.flatMap(drain, (items) => (items.length === 0 ? Effect.void : emit(items))).pipe(
        Effect.repeat(Schedule.spaced(Duration.millis(25))),
        Effect.zipRight(Effect.never)
      )
  } satisfies Watch
})
