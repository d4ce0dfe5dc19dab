import { Clock, Duration, Effect, Layer, Metric, Schedule } from "effect"
import * as Bus from "../Bus.js"
import type { PersistenceError } from "../CommitBoundary.js"
import { type ContextStorage, Storages } from "../ContextStorage.js"
import * as Faults from "../Faults.js"
import {
  type HostBoxStats,
  InvalidRelaySettings,
  NothingToRedrive,
  Relay,
  type RelayOptions,
  relayBacklog,
  relayLag,
  relayParked
} from "../Relay.js"
import * as Delivery from "./delivery.js"
import type * as Doorbell from "./doorbell.js"
import * as Forwarding from "./forwarding.js"
import * as RetryPolicy from "./retryPolicy.js"
import { HandoverTag } from "./handover.js"
import { SignalsTag } from "./signals.js"
import * as Timers from "../Timers.js"

/** Starts the relay loops for the local hosts, for the lifetime of the scope. */
export const make = (options: RelayOptions) =>
  Effect.gen(function* () {
    const policy = yield* Effect.mapError(
      RetryPolicy.fromSettings(options),
      (message) => new InvalidRelaySettings({ message })
    )
    const storages = yield* Storages
    const bus = yield* Bus.Bus
    const faults = yield* Faults.installed
    const signals = yield* SignalsTag
    const handover = yield* HandoverTag
    const poll = Duration.decode(options.pollInterval ?? "250 millis")
    const workers = options.workers ?? 1
    const local = options.local.map((host) => {
      const storage = storages.of(host)
      if (storage === undefined) throw new Error(`local host ${host} has no storage`)
      return storage
    })

    // Runs rounds while they come back full, then waits for a wake-up or the poll interval. A wake-up that arrives
    // during a round makes the next wait return at once; one that came before the round began was served by it.
    // A failing round is said once (with why), and once more when rounds succeed again, not at every poll.
    // A forwarding loop also wakes when the next scheduled message of its outbox falls due (`dueAt`), so a timer is
    // forwarded on time without polling for it; a commit that schedules or cancels rings the bell, and the next round
    // sees the new earliest due time.
    const loop = (
      name: string,
      bell: Doorbell.Doorbell,
      round: Effect.Effect<boolean, unknown>,
      dueAt: () => number | undefined = () => undefined
    ) =>
      Effect.gen(function* () {
        let failing = false
        while (true) {
          const seen = bell.rung()
          const more = yield* round.pipe(
            Effect.tap(() => {
              if (!failing) return Effect.void
              failing = false
              return Effect.logInfo(`relay ${name}: rounds succeed again`)
            }),
            Effect.catchAllCause((cause) => {
              if (failing) return Effect.succeed(false)
              failing = true
              return Effect.as(
                Effect.logWarning(
                  `relay ${name}: round failed; retrying every ${Duration.format(poll)}`,
                  cause
                ),
                false
              )
            })
          )
          if (!more) {
            const due = dueAt()
            const wait =
              due === undefined
                ? poll
                : Duration.min(poll, Duration.millis(Math.max(0, due - (yield* Clock.currentTimeMillis))))
            yield* bell.waitBeyond(seen, wait)
          }
        }
      })

    const forwarders = new Map<string, ReturnType<typeof Forwarding.make>>()
    for (const storage of local) {
      if (options.forward !== false) {
        const forwarding = Forwarding.make({
          producer: storage,
          storageOf: storages.of,
          policy,
          bus,
          faults,
          handover
        })
        forwarders.set(storage.host, forwarding)
        const bell = signals.bell({ box: "outbox", host: storage.host })
        yield* Effect.forkScoped(
          loop(`forward ${storage.host}`, bell, forwarding.round, forwarding.nextDueAt)
        )
      }
      if (options.deliver !== false) {
        const delivery = Delivery.make({ storage, policy, bus })
        const bell = signals.bell({ box: "inbox", host: storage.host })
        for (let i = 0; i < workers; i++)
          yield* Effect.forkScoped(loop(`deliver ${storage.host}`, bell, delivery.round))
      }
    }
    // What another process stored or forwarded (and the echoes of this one's writes) wakes the loops here.
    yield* storages.onNotified(signals.heard)

    // Retention: processed inbox marks and forwarded outbox rows of the local hosts, in small batches.
    yield* Effect.forEach(
      local,
      (storage) =>
        storage.purge({
          inboxMillis: policy.inboxRetentionMillis,
          outboxMillis: policy.outboxRetentionMillis
        }),
      { discard: true }
    ).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("relay retention cleanup failed", cause)),
      Effect.repeat(Schedule.spaced(options.cleanupInterval ?? "1 minute")),
      Effect.forkScoped
    )

    const statsOf = (storage: ContextStorage): Effect.Effect<HostBoxStats> => {
      const waitingFor =
        forwarders
          .get(storage.host)
          ?.waitingFor()
          .map((w) => w.destination) ?? []
      return storage.stats.pipe(
        Effect.map((stats): HostBoxStats => ({ ...stats, waitingFor })),
        Effect.catchAll((error) =>
          Effect.succeed<HostBoxStats>({
            host: storage.host,
            outboxPending: 0,
            outboxByDestination: {},
            inboxPending: 0,
            parked: 0,
            lagMillis: 0,
            scheduled: 0,
            overdue: 0,
            unreachable: `${storage.location}: ${error.message}`,
            waitingFor
          })
        )
      )
    }
    const stats = Effect.forEach(storages.all, statsOf, { concurrency: "unbounded" })

    // Backlog, lag, parked, scheduled and overdue counts as gauges, refreshed in the background for metric exporters.
    yield* stats.pipe(
      Effect.flatMap((all) =>
        Effect.forEach(
          all.filter((s) => s.unreachable === undefined),
          (s) =>
            Effect.all([
              Metric.set(Metric.tagged(relayBacklog, "host", s.host), s.outboxPending + s.inboxPending),
              Metric.set(Metric.tagged(relayLag, "host", s.host), s.lagMillis),
              Metric.set(Metric.tagged(relayParked, "host", s.host), s.parked),
              Timers.setGauges(s)
            ]),
          { discard: true }
        )
      ),
      Effect.repeat(Schedule.spaced(options.metricsInterval ?? "5 seconds")),
      Effect.forkScoped
    )

    const each = <A>(f: (storage: ContextStorage) => Effect.Effect<ReadonlyArray<A>, PersistenceError>) =>
      Effect.map(Effect.forEach(storages.all, f), (lists) => lists.flat())
    const wake = Effect.sync(() => signals.ringAll())

    return Relay.of({
      wake,
      stats,
      parked: each((storage) => storage.parked),
      pending: (limit) => each((storage) => storage.pending(limit)),
      messageStatus: (messageId) => each((storage) => storage.messageStatus(messageId)),
      redrive: (messageId) =>
        Effect.gen(function* () {
          const found = yield* Effect.forEach(storages.all, (storage) => storage.redrive(messageId))
          if (!found.some(Boolean)) return yield* new NothingToRedrive({ messageId })
          yield* wake
        }),
      holdKey: (host, key) => {
        const storage = storages.of(host)
        return storage === undefined ? Effect.void : storage.holdKey(key)
      }
    })
  })

/** The relay as a layer for the given local hosts. */
export const layer = (
  options: RelayOptions
): Layer.Layer<Relay, InvalidRelaySettings, Storages | Bus.Bus | SignalsTag | HandoverTag> =>
  Layer.scoped(Relay, make(options))
