import { Context, Effect, Either, Layer } from "effect"
import type { PersistenceError } from "../../src/commit/CommitBoundary.js"
import type * as ContextStorage from "../../src/commit/ContextStorage.js"
import * as Relay from "../../src/commit/Relay.js"

/** Per-host delivery figures of a durable boundary. */
export type Boxes = Relay.HostBoxStats

/** A row the relay parked. */
export type ParkedRow = ContextStorage.ParkedMessage

/** A row stored but not yet handed on: committed in an outbox, or waiting in an inbox. */
export type PendingRow = ContextStorage.PendingMessage

/**
 * What a durable boundary can show about delivery: its outboxes and inboxes (counts and the rows waiting), the
 * rows its relay parked, and how to redrive them. Optional: the memory boundary has none of these, and the sandbox says so when this
 * service is absent.
 */
export class DeliveryInspector extends Context.Tag("mailroom/sandbox/DeliveryInspector")<
  DeliveryInspector,
  {
    readonly boxes: Effect.Effect<ReadonlyArray<Boxes>>
    readonly parked: Effect.Effect<ReadonlyArray<ParkedRow>, PersistenceError>
    /** Rows not yet handed on, oldest first, at most `limit` per host and box. */
    readonly pending: (limit: number) => Effect.Effect<ReadonlyArray<PendingRow>, PersistenceError>
    /** Makes a parked row deliverable again; false when no parked row has this message id. */
    readonly redrive: (messageId: string) => Effect.Effect<boolean, PersistenceError>
  }
>() {}

/** The inspector over the Postgres relay. */
export const layerRelay: Layer.Layer<DeliveryInspector, never, Relay.Relay> = Layer.effect(
  DeliveryInspector,
  Effect.map(Relay.Relay, (relay) =>
    DeliveryInspector.of({
      boxes: relay.stats,
      parked: relay.parked,
      pending: relay.pending,
      redrive: (messageId) =>
        relay.redrive(messageId).pipe(
          Effect.either,
          Effect.flatMap((result) =>
            Either.isRight(result)
              ? Effect.succeed(true)
              : result.left instanceof Relay.NothingToRedrive
                ? Effect.succeed(false)
                : Effect.fail(result.left)
          )
        )
    })
  )
)
