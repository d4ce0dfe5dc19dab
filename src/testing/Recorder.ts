import { Chunk, Context, Effect, Layer, Queue } from "effect"
import * as Bus from "../commit/Bus.js"
import type { Envelope } from "../runtime/Envelope.js"

/** A commit as the bus reported it. */
export type Committed = Extract<Bus.Observation, { readonly _tag: "Committed" }>
/** A message a host refused or failed to handle (decode, save, conflicts), as the bus reported it. */
export type HandlingFailed = Extract<Bus.Observation, { readonly _tag: "HandlingFailed" }>
/** A publish or dispatch that failed after its commit, as the bus reported it. */
export type DeliveryFailed = Extract<Bus.Observation, { readonly _tag: "DeliveryFailed" }>

/** Narrows recorded envelopes: by producing or consuming host, message type or key (all optional). */
export interface EnvelopeFilter {
  /** The host that committed (producer) for `published`/`dispatched`, the handling host for `consumed`. */
  readonly host?: string
  readonly type?: string
  readonly key?: string
}

/** Everything the bus reported since the layer started: commits, what they published and dispatched, and failures. */
export class Recorder extends Context.Tag("mailroom/testing/Recorder")<
  Recorder,
  {
    /** Every observation, in the order the bus reported them. */
    readonly observations: Effect.Effect<ReadonlyArray<Bus.Observation>>
    /** Every commit (optionally of one host). */
    readonly committed: (host?: string) => Effect.Effect<ReadonlyArray<Committed>>
    /** Messages handled and committed (the `consumed` envelope of each commit). */
    readonly consumed: (filter?: EnvelopeFilter) => Effect.Effect<ReadonlyArray<Envelope>>
    /** Events committed for publishing (whether or not every subscriber got them: see `deliveryFailures`). */
    readonly published: (filter?: EnvelopeFilter) => Effect.Effect<ReadonlyArray<Envelope>>
    /** Commands committed for dispatch (whether or not they reached their host: see `deliveryFailures`). */
    readonly dispatched: (filter?: EnvelopeFilter) => Effect.Effect<ReadonlyArray<Envelope>>
    /** Events and commands handed to a consuming host: what was committed minus what failed, per recipient. */
    readonly delivered: (
      to: string,
      filter?: Omit<EnvelopeFilter, "host">
    ) => Effect.Effect<ReadonlyArray<Envelope>>
    /** Messages a host failed to handle with a typed error. */
    readonly handlingFailures: Effect.Effect<ReadonlyArray<HandlingFailed>>
    /** Deliveries that failed after their commit. */
    readonly deliveryFailures: Effect.Effect<ReadonlyArray<DeliveryFailed>>
    /** Moves what the bus reported so far into the log (reads do it too; `settle` calls it while it waits). */
    readonly flush: Effect.Effect<void>
    /** Forgets everything recorded so far (a test's "from now on"). */
    readonly clear: Effect.Effect<void>
  }
>() {}

/**
 * Subscribes to the bus for the lifetime of the scope and records every observation. The subscription is drained
 * on every read, so a read right after `settle` sees everything reported so far; between two reads it holds up to
 * the bus feed's capacity (older observations are dropped beyond it).
 */
export const make = Effect.gen(function* () {
  const bus = yield* Bus.Bus
  const subscription = yield* bus.subscribe
  const log: Array<Bus.Observation> = []

  // Draining on read, not in a background fiber, keeps the log in report order and complete at the moment of reading.
  const drain = Effect.map(Queue.takeAll(subscription), (chunk) => {
    for (const observation of Chunk.toReadonlyArray(chunk)) log.push(observation)
    return log
  })

  const commits = (host?: string) =>
    Effect.map(drain, (all) =>
      all.filter((o): o is Committed => o._tag === "Committed" && (host === undefined || o.host === host))
    )

  const envelopes = (pick: (commit: Committed) => ReadonlyArray<Envelope>, filter: EnvelopeFilter = {}) =>
    Effect.map(commits(filter.host), (all) =>
      all.flatMap(pick).filter((envelope) => matches(envelope, filter))
    )

  const deliveryFailures = Effect.map(drain, (all) =>
    all.filter((o): o is DeliveryFailed => o._tag === "DeliveryFailed")
  )

  return Recorder.of({
    observations: Effect.map(drain, (all) => all.slice()),
    committed: commits,
    consumed: (filter = {}) =>
      Effect.map(commits(filter.host), (all) =>
        all.map((commit) => commit.consumed).filter((envelope) => matches(envelope, filter))
      ),
    published: (filter) => envelopes((commit) => commit.events, filter),
    dispatched: (filter) => envelopes((commit) => commit.commands, filter),
    delivered: (to, filter = {}) =>
      Effect.map(drain, (all) => {
        const failed = new Set(
          all.flatMap((o) => (o._tag === "DeliveryFailed" && o.to === to ? [o.envelope.messageId] : []))
        )
        return all
          .flatMap((o) => (o._tag === "Committed" ? [...o.events, ...o.commands] : []))
          .filter(
            (envelope) =>
              bus.consumersOf(envelope.type).includes(to) &&
              !failed.has(envelope.messageId) &&
              matches(envelope, filter)
          )
      }),
    handlingFailures: Effect.map(drain, (all) =>
      all.filter((o): o is HandlingFailed => o._tag === "HandlingFailed")
    ),
    deliveryFailures,
    flush: Effect.asVoid(drain),
    clear: Effect.map(drain, (all) => {
      all.length = 0
    })
  })
})

/** A recorder of the bus feed (needs the Bus). */
export const layer: Layer.Layer<Recorder, never, Bus.Bus> = Layer.scoped(Recorder, make)

// internal

const matches = (envelope: Envelope, filter: EnvelopeFilter): boolean =>
  (filter.type === undefined || envelope.type === filter.type) &&
  (filter.key === undefined || envelope.key === filter.key)
