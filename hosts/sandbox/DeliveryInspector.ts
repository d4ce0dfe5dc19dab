import { Context } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../../src/commit/CommitBoundary.js"

/** One stored delivery row as the sandbox shows it (outbox, inbox or relay-parked). */
export interface DeliveryRow {
  readonly host: string
  readonly box: "outbox" | "inbox"
  readonly messageId: string
  readonly type: string
  readonly key: string
  readonly attempts: number
  readonly lastError: string | null
  /** When the row was written or parked, in epoch milliseconds. */
  readonly at: number
}

/**
 * What a durable boundary can show about delivery: rows waiting in outboxes and inboxes, rows the relay
 * parked, and relay lag. Optional: the memory boundary has none of these, so the sandbox says so when this
 * service is absent. The Postgres store layer provides it (over `src/pg/Relay`).
 */
export class DeliveryInspector extends Context.Tag("mailroom/sandbox/DeliveryInspector")<
  DeliveryInspector,
  {
    /** Committed messages not yet in their destination's inbox. */
    readonly outbox: Effect.Effect<ReadonlyArray<DeliveryRow>, PersistenceError>
    /** Delivered messages not yet processed by their host. */
    readonly inbox: Effect.Effect<ReadonlyArray<DeliveryRow>, PersistenceError>
    /** Rows the relay gave up on. */
    readonly parked: Effect.Effect<ReadonlyArray<DeliveryRow>, PersistenceError>
    /** Makes a relay-parked row deliverable again; false when no parked row has this message id. */
    readonly redrive: (messageId: string) => Effect.Effect<boolean, PersistenceError>
    /** Age of the oldest unprocessed inbox row, in milliseconds (0 when none). */
    readonly lagMillis: Effect.Effect<number, PersistenceError>
  }
>() {}
