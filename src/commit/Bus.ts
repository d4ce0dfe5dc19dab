import { Context, Effect, Layer, PubSub, Schema } from "effect"
import type { Queue, Scope } from "effect"
import type { Envelope } from "../runtime/Envelope.js"
import * as Routing from "./Routing.js"

/** A message could not be handed to a host (unknown host, mailbox full, stopped, or its handling failed). */
export class Undeliverable extends Schema.TaggedError<Undeliverable>()("Undeliverable", {
  host: Schema.String,
  messageId: Schema.String,
  type: Schema.String,
  reason: Schema.String
}) {}

/** How a host receives messages: enqueue only, or enqueue and wait until handled. */
export interface HostMailbox {
  readonly tell: (envelope: Envelope) => Effect.Effect<void, Undeliverable>
  readonly ask: (envelope: Envelope) => Effect.Effect<void, Undeliverable>
}

/** Something that happened in the application, for live feeds, notifications and tests. */
export type Observation =
  | {
      readonly _tag: "Committed"
      readonly host: string
      readonly key: string
      readonly consumed: Envelope
      readonly events: ReadonlyArray<Envelope>
      readonly commands: ReadonlyArray<Envelope>
      /** Messages scheduled for later by this commit, with their due times (absent when none). */
      readonly scheduled?: ReadonlyArray<{ readonly envelope: Envelope; readonly dueAt: number }>
      /** Scheduled message ids this commit cancelled (absent when none). */
      readonly cancelled?: ReadonlyArray<string>
      readonly stateChanged: boolean
      readonly duplicate: boolean
    }
  | { readonly _tag: "Received"; readonly host: string; readonly envelope: Envelope }
  | {
      readonly _tag: "HandlingFailed"
      readonly host: string
      readonly envelope: Envelope
      readonly error: string
    }
  | {
      readonly _tag: "DeliveryFailed"
      readonly step: "publish" | "dispatch" | "relay"
      readonly to: string
      readonly envelope: Envelope
      readonly error: string
    }
  | { readonly _tag: "Notice"; readonly level: "info" | "warning" | "error"; readonly message: string }

/** Routes messages between hosts by type, derived from their declarations, and carries the observation feed. */
export class Bus extends Context.Tag("mailroom/commit/Bus")<
  Bus,
  {
    /** Registers a host's mailbox for the message types it consumes, for the lifetime of the scope. */
    readonly register: (
      host: string,
      consumes: ReadonlyArray<string>,
      mailbox: HostMailbox
    ) => Effect.Effect<void, never, Scope.Scope>
    /** Names of the hosts that consume a message type. */
    readonly consumersOf: (type: string) => ReadonlyArray<string>
    /** Names of all registered hosts. */
    readonly hosts: () => ReadonlyArray<string>
    /** Enqueues a message for a host. */
    readonly tell: (host: string, envelope: Envelope) => Effect.Effect<void, Undeliverable>
    /**
     * Hands a message to a host and waits until it is handled. The caller owns the message: if the host's
     * supervisor gives up on it, the host keeps no parked copy (the caller retries or parks it durably).
     */
    readonly ask: (host: string, envelope: Envelope) => Effect.Effect<void, Undeliverable>
    /** Publishes an observation to every feed subscriber (never blocks; a slow subscriber loses the oldest). */
    readonly broadcast: (observation: Observation) => Effect.Effect<void>
    /** Subscribes to observations for the lifetime of the scope. */
    readonly subscribe: Effect.Effect<Queue.Dequeue<Observation>, never, Scope.Scope>
    /** True while at least one subscriber listens (lets hot paths skip building observations). */
    readonly observed: () => boolean
  }
>() {}

/** Builds a bus. */
export const make = Effect.gen(function* () {
  const mailboxes = new Map<string, HostMailbox>()
  // What each registered host consumes, in registration order, and the routing table derived from it.
  const declared = new Map<string, ReadonlyArray<string>>()
  let consumers = Routing.consumersByType([])
  const route = () => {
    consumers = Routing.consumersByType(Array.from(declared, ([name, consumes]) => ({ name, consumes })))
  }
  const feed = yield* PubSub.sliding<Observation>(4096)
  let subscribers = 0

  const unknownHost = (host: string, envelope: Envelope) =>
    new Undeliverable({
      host,
      messageId: envelope.messageId,
      type: envelope.type,
      reason: `no host named "${host}"`
    })

  const register = (host: string, consumes: ReadonlyArray<string>, mailbox: HostMailbox) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        if (mailboxes.has(host)) throw new Error(`host "${host}" is already registered`)
        mailboxes.set(host, mailbox)
        declared.set(host, consumes)
        route()
      }),
      () =>
        Effect.sync(() => {
          mailboxes.delete(host)
          declared.delete(host)
          route()
        })
    )

  return Bus.of({
    register,
    consumersOf: (type) => consumers.get(type) ?? [],
    hosts: () => [...mailboxes.keys()],
    tell: (host, envelope) => {
      const mailbox = mailboxes.get(host)
      return mailbox === undefined ? Effect.fail(unknownHost(host, envelope)) : mailbox.tell(envelope)
    },
    ask: (host, envelope) => {
      const mailbox = mailboxes.get(host)
      return mailbox === undefined ? Effect.fail(unknownHost(host, envelope)) : mailbox.ask(envelope)
    },
    broadcast: (observation) =>
      subscribers === 0 ? Effect.void : Effect.asVoid(PubSub.publish(feed, observation)),
    subscribe: Effect.acquireRelease(
      Effect.tap(PubSub.subscribe(feed), () => {
        subscribers++
      }),
      () =>
        Effect.sync(() => {
          subscribers--
        })
    ),
    observed: () => subscribers > 0
  })
})

/** The in-process bus. */
export const layer: Layer.Layer<Bus> = Layer.effect(Bus, make)
