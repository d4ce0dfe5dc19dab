import { Effect, Exit, Layer } from "effect"
import * as Bus from "./Bus.js"
import { CommitBoundary, type CommitReport, PersistenceError, MessageNotAccepted } from "./CommitBoundary.js"
import { type ContextStorage, Storages } from "./ContextStorage.js"
import * as Faults from "./Faults.js"
import * as Handover from "./internal/handover.js"
import * as RelayLoop from "./internal/relayLoop.js"
import * as Signals from "./internal/signals.js"
import type * as Relay from "./Relay.js"
import type * as Routing from "./Routing.js"

/** Options of the durable commit. */
export interface DurableCommitOptions {
  /**
   * Hand produced messages to consumers running in this process right after the commit (default true). Off, every
   * message goes through the relay's forwarding and delivery rounds, as it does to consumers in other processes.
   */
  readonly handover?: boolean
  /** The relay: which hosts run here, how it is woken, how it retries, what it keeps. */
  readonly relay: Relay.RelayOptions
}

/**
 * The durable commit boundary over each context's own storage, and the relay that carries what it commits: a commit
 * writes the handling host's state, audit entry, inbox mark and outbox rows in one transaction of that host's storage,
 * and nothing of any other context. Messages reach other contexts afterwards: handed over in memory to consumers
 * running in this process, or forwarded by the relay.
 */
export const layer = (
  routing: Routing.Routing,
  options: DurableCommitOptions
): Layer.Layer<CommitBoundary | Relay.Relay, Relay.InvalidRelaySettings, Storages | Bus.Bus> =>
  Layer.merge(Layer.scoped(CommitBoundary, make(routing, options)), RelayLoop.layer(options.relay)).pipe(
    Layer.provide(Handover.layer()),
    Layer.provide(Layer.sync(Signals.SignalsTag, Signals.make))
  )

// internal

/**
 * The durable commit boundary over each context's own storage: a commit writes the handling host's state, audit
 * entry, inbox mark and outbox rows in one transaction of that host's storage, and nothing of any other context.
 * Messages reach other contexts afterwards: handed over in memory to consumers running in this process, or forwarded
 * by the relay (see `Relay`).
 */
const make = (routing: Routing.Routing, options: DurableCommitOptions) =>
  Effect.gen(function* () {
    const storages = yield* Storages
    const bus = yield* Bus.Bus
    const faults = yield* Faults.installed
    const signals = yield* Signals.SignalsTag
    const handover = yield* Handover.HandoverTag
    const handOver = options.handover !== false

    const storageOf = (host: string): ContextStorage | undefined => storages.of(host)
    const missing = (host: string) =>
      new PersistenceError({ operation: "commit", message: `host ${host} is not in this deployment` })

    return CommitBoundary.of({
      kind: "postgres",
      accept: (host, envelope) => {
        const storage = storageOf(host)
        if (storage === undefined)
          return Effect.fail(
            new MessageNotAccepted({ host, messageId: envelope.messageId, reason: `no host named "${host}"` })
          )
        const sentAt = performance.now()
        return Effect.tap(storage.store(envelope), () => signals.wrote({ box: "inbox", host }, sentAt))
      },
      load: (host, key) => {
        const storage = storageOf(host.name)
        return storage === undefined ? Effect.fail(missing(host.name)) : storage.load(host, key)
      },
      read: (host, key) => {
        const storage = storageOf(host.name)
        return storage === undefined ? Effect.fail(missing(host.name)) : storage.read(host, key)
      },
      keys: (host) => {
        const storage = storageOf(host.name)
        return storage === undefined ? Effect.fail(missing(host.name)) : storage.keys
      },
      audit: (host, key) => {
        const storage = storageOf(host)
        return storage === undefined ? Effect.fail(missing(host)) : storage.audit(key)
      },
      backlog: Effect.map(
        Effect.forEach(storages.all, (storage) => storage.backlog),
        (counts) => counts.reduce((a, b) => a + b, 0)
      ),
      commit: (request) =>
        Effect.gen(function* () {
          const host = request.host.name
          const storage = storageOf(host)
          if (storage === undefined) return yield* missing(host)
          // An injected save failure fails this commit alone, as a real one would.
          if (faults !== undefined) {
            yield* Effect.mapError(
              faults.check("save", host),
              (error) => new PersistenceError({ operation: "save", message: error.message })
            )
          }
          const handedOverBy = handover.sourceOf(request.consumed)
          const outbox = routing.destinations(request.events, request.commands)
          // Only what a consumer running here could take is wanted back from the storage.
          const local = handOver && outbox.length > 0 ? bus.hosts() : []
          const scheduled =
            request.scheduled === undefined ? [] : routing.scheduledDestinations(request.scheduled)
          const result = yield* storage.commit({
            request,
            outbox,
            ...(scheduled.length === 0 ? {} : { scheduled }),
            ...(handedOverBy === undefined ? {} : { handedOverBy }),
            ...(outbox.some(({ destination }) => local.includes(destination)) ? { handOver: true } : {})
          })
          const duplicate = result._tag === "Duplicate"
          // The same feed the memory boundary feeds: what each transaction committed (or dropped as a duplicate).
          if (bus.observed()) {
            yield* bus.broadcast({
              _tag: "Committed",
              host,
              key: request.key,
              consumed: request.consumed,
              events: duplicate ? [] : request.events,
              commands: duplicate ? [] : request.commands,
              ...(duplicate || request.scheduled === undefined ? {} : { scheduled: request.scheduled }),
              ...(duplicate || request.cancelled === undefined ? {} : { cancelled: request.cancelled }),
              stateChanged: !duplicate && request.state !== undefined,
              duplicate
            })
          }
          if (result._tag === "Committed" && outbox.length > 0) {
            // The handover is the relay's first step: an injected relay failure stops it too (the messages wait in
            // the outbox for the relay's rounds, which meet the same fault).
            const relayFails =
              handOver &&
              faults !== undefined &&
              Exit.isFailure(yield* Effect.exit(faults.check("relay", host)))
            const handing = handOver && !relayFails && result.written.length > 0
            if (handing) yield* handover.start(storage, result.written)
            // What is not handed over (no consumer here, a fault, no row given back) is the relay's.
            if (!handing || result.written.length < outbox.length) signals.ring({ box: "outbox", host })
          }
          // A message scheduled (maybe earlier than the relay's next wake-up) or cancelled: the relay recomputes.
          if (result._tag === "Committed" && (scheduled.length > 0 || request.cancelled !== undefined))
            signals.ring({ box: "outbox", host })
          const report: CommitReport = { version: result.version, duplicate, failures: [] }
          return report
        })
    })
  })
