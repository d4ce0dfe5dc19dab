import { Context, Effect, Exit, FiberSet, Layer } from "effect"
import type { Scope } from "effect"
import * as Bus from "../Bus.js"
import type { Envelope } from "../../runtime/Envelope.js"
import type { ContextStorage, Written } from "../ContextStorage.js"
import { type Signals, SignalsTag } from "./signals.js"

/**
 * Hands the messages a commit wrote to consumers that run in this process, right after the commit, without waiting
 * for the relay: each consumer handles the message in its own transaction (which records it in its own inbox), and
 * only then is the producer's outbox row marked forwarded. Per destination and key the messages go one after the
 * other, and only when nothing older of that destination and key waits in the outbox; the consumer's commit refuses
 * one that would overtake an older message in its inbox. Whatever is not handed over (a consumer elsewhere, an older
 * message waiting, a failure, this process dying) stays in the outbox for the relay, which delivers it the normal way;
 * a message both handed over and forwarded is dropped by the consumer's inbox.
 */
export interface Handover {
  /** Starts handing over what a producer's commit wrote; returns at once. */
  readonly start: (producer: ContextStorage, written: ReadonlyArray<Written>) => Effect.Effect<void>
  /**
   * The producer whose outbox handed this envelope over, while its handling is under way. Known by the envelope
   * object itself, so a copy of the same message delivered by the relay at the same time is not mistaken for it.
   */
  readonly sourceOf: (envelope: Envelope) => string | undefined
  /**
   * Hands messages the relay claimed from a producer's outbox (due scheduled ones) to their consumers running here,
   * each key's in order, different keys at once, and waits: returns the ids handed over, which the caller marks
   * forwarded. A key's chain stops at its first message not taken (an older message waits in the consumer's inbox, a
   * failure); that one and the rest of its chain are the caller's to forward the normal way.
   */
  readonly deliver: (
    producer: string,
    messages: ReadonlyArray<Pick<Written, "id" | "destination" | "envelope">>
  ) => Effect.Effect<ReadonlyArray<string>>
}

/** The in-process handover shared by the durable commit and the relay of one process. */
export class HandoverTag extends Context.Tag("mailroom/commit/internal/Handover")<HandoverTag, Handover>() {}

export const make = (bus: Bus.Bus["Type"], signals: Signals): Effect.Effect<Handover, never, Scope.Scope> =>
  Effect.gen(function* () {
    const running = yield* FiberSet.make()
    const sources = new WeakMap<Envelope, string>()

    // One destination and key's messages, one after the other, up to the first the consumer does not take.
    const handChain = (
      producer: string,
      messages: ReadonlyArray<Pick<Written, "id" | "destination" | "envelope">>
    ) =>
      Effect.gen(function* () {
        const forwarded: Array<string> = []
        for (const message of messages) {
          sources.set(message.envelope, producer)
          const exit = yield* Effect.exit(bus.ask(message.destination, message.envelope))
          sources.delete(message.envelope)
          if (Exit.isFailure(exit)) break
          forwarded.push(message.id)
        }
        return forwarded
      })

    const chain = (producer: ContextStorage, messages: ReadonlyArray<Written>) =>
      Effect.gen(function* () {
        const forwarded = yield* handChain(producer.host, messages)
        if (forwarded.length < messages.length) signals.ring({ box: "outbox", host: producer.host })
        if (forwarded.length > 0) {
          // A mark that fails leaves the rows for the relay, whose forward the consumer's inbox then drops.
          yield* producer
            .markForwarded(forwarded)
            .pipe(
              Effect.catchAll(() => Effect.sync(() => signals.ring({ box: "outbox", host: producer.host })))
            )
        }
      })

    return {
      sourceOf: (envelope) => sources.get(envelope),
      deliver: (producer, messages) =>
        Effect.suspend(() => {
          const chains = new Map<string, Array<Pick<Written, "id" | "destination" | "envelope">>>()
          for (const message of messages) {
            const name = `${message.destination}\u0000${message.envelope.key}`
            const list = chains.get(name)
            if (list === undefined) chains.set(name, [message])
            else list.push(message)
          }
          return Effect.map(
            Effect.forEach(chains.values(), (list) => handChain(producer, list), {
              concurrency: "unbounded"
            }),
            (lists) => lists.flat()
          )
        }),
      start: (producer, written) =>
        Effect.suspend(() => {
          if (written.length === 0) return Effect.void
          const local = new Set(bus.hosts())
          const chains = new Map<string, Array<Written>>()
          // Chains whose first message is the relay's job (its consumer runs elsewhere, or an older message of its
          // destination and key waits): their followers are too.
          const relayed = new Set<string>()
          for (const message of written) {
            const name = `${message.destination}\u0000${message.envelope.key}`
            if (relayed.has(name)) continue
            const list = chains.get(name)
            if (list !== undefined) list.push(message)
            else if (local.has(message.destination) && message.ahead) chains.set(name, [message])
            else relayed.add(name)
          }
          const leftForRelay = relayed.size > 0
          if (leftForRelay) signals.ring({ box: "outbox", host: producer.host })
          return Effect.forEach(chains.values(), (list) => FiberSet.run(running, chain(producer, list)), {
            discard: true
          })
        })
    }
  })

/** The handover as a layer (the durable commit and the relay of one process share it). */
export const layer = (): Layer.Layer<HandoverTag, never, Bus.Bus | SignalsTag> =>
  Layer.scoped(
    HandoverTag,
    Effect.flatMap(Effect.all([Bus.Bus, SignalsTag]), ([bus, signals]) => make(bus, signals))
  )
