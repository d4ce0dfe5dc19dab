import { Context, Effect, Either, Layer } from "effect"
import * as Relay from "../../src/pg/Relay.js"

/** Per-host delivery figures of a durable boundary. */
export interface Boxes {
  readonly host: string
  /** Committed messages not yet in their destination's inbox. */
  readonly outboxPending: number
  /** Delivered messages not yet processed by the host. */
  readonly inboxPending: number
  /** Rows the relay gave up on. */
  readonly parked: number
  /** Age of the oldest unprocessed inbox message, in milliseconds (0 when none). */
  readonly lagMillis: number
}

/** A row the relay parked. */
export interface ParkedRow {
  readonly host: string
  readonly box: "inbox" | "outbox"
  readonly messageId: string
  readonly type: string
  readonly key: string
  readonly attempts: number
  readonly lastError: string | null
  /** When the relay gave up on it (epoch ms). */
  readonly parkedAt: number
}

/** A row stored but not yet handed on: committed in an outbox, or waiting in an inbox. */
export interface PendingRow {
  readonly host: string
  readonly box: "inbox" | "outbox"
  readonly messageId: string
  readonly type: string
  readonly key: string
  /** Destination host (outbox rows) or where the message came from (inbox rows: a host, "external", "direct"). */
  readonly peer: string
  /** Failed delivery attempts so far. */
  readonly attempts: number
  readonly lastError: string | null
  /** When it was stored (epoch ms, the database's clock). */
  readonly since: number
}

/**
 * What a durable boundary can show about delivery: its outboxes and inboxes (counts and the rows waiting), the
 * rows its relay parked, and how to redrive them. Optional: the memory boundary has none of these, and the sandbox says so when this
 * service is absent.
 */
export class DeliveryInspector extends Context.Tag("mailroom/sandbox/DeliveryInspector")<
  DeliveryInspector,
  {
    readonly boxes: Effect.Effect<ReadonlyArray<Boxes>, unknown>
    readonly parked: Effect.Effect<ReadonlyArray<ParkedRow>, unknown>
    /** Rows not yet handed on, oldest first, at most `limit` per host and box. */
    readonly pending: (limit: number) => Effect.Effect<ReadonlyArray<PendingRow>, unknown>
    /** Makes a parked row deliverable again; false when no parked row has this message id. */
    readonly redrive: (messageId: string) => Effect.Effect<boolean, unknown>
  }
>() {}

/** The inspector over the Postgres relay. */
export const layerRelay: Layer.Layer<DeliveryInspector, never, Relay.Relay> = Layer.effect(
  DeliveryInspector,
  Effect.map(Relay.Relay, (relay) =>
    DeliveryInspector.of({
      boxes: relay.stats,
      parked: Effect.map(relay.parked, (rows) =>
        rows.map(({ host, box, messageId, type, key, attempts, lastError, parkedAt }) => ({
          host,
          box,
          messageId,
          type,
          key,
          attempts,
          lastError,
          parkedAt
        }))
      ),
      pending: (limit) =>
        Effect.map(relay.pending(limit), (rows) =>
          rows.map(({ host, box, messageId, type, key, peer, attempts, lastError, since }) => ({
            host,
            box,
            messageId,
            type,
            key,
            peer,
            attempts,
            lastError,
            since
          }))
        ),
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
