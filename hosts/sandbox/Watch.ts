import { Cause, Chunk, Duration, Effect, Queue, Schedule } from "effect"
import type { Scope } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
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
  const restarts = new Map<string, number>()
  const parked = new Set<string>()

  // Restarts and parking are not observations: they are found by comparing with what was seen last time.
  const supervision = Effect.gen(function* () {
    const items: Array<Feed.FeedItem> = []
    for (const host of app.hosts.values()) {
      const stats = yield* host.actor.stats
      if (stats.restarts > (restarts.get(host.name) ?? 0)) {
        items.push({ _tag: "HostRestarted", host: host.name, restarts: stats.restarts })
      }
      restarts.set(host.name, stats.restarts)
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
    return [
      ...seen.flatMap((observation) => Feed.fromObservation(observation, bus.consumersOf)),
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
    // One loop drains everything every 25 ms: restarts and parking have no event to wait on, and a single
    // drainer keeps the feed in arrival order.
    live: (emit) =>
      Effect.flatMap(drain, (items) => (items.length === 0 ? Effect.void : emit(items))).pipe(
        Effect.repeat(Schedule.spaced(Duration.millis(25))),
        Effect.zipRight(Effect.never)
      )
  } satisfies Watch
})
