import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit, Queue } from "effect"
import type { Scope } from "effect"
import { MessageIdReused, type PersistenceError } from "../../commit/CommitBoundary.js"
import type { Deferral, StoredMessage } from "../../commit/ContextStorage.js"
import type { Envelope } from "../../runtime/Envelope.js"
import * as Batcher from "./batcher.js"
import * as Dedicated from "./dedicated.js"
import * as Notifications from "./notifications.js"
import * as SqlFailure from "./sqlFailure.js"

/** Front-door writes in flight at once per context, each on its own kept connection. */
export const storeWriters = 2

/** Most keys, and most messages, one delivery claim takes. */
const claimKeys = 256
const claimRows = 2000

/**
 * One context's inbox: messages stored from outside (the front door) and accepted from other contexts (the relay),
 * deduplicated by message id, and claimed key by key for delivery under session advisory locks, so one key is
 * delivered by one worker in one process at a time.
 */
export const make = (
  sql: SqlClient.SqlClient,
  options: {
    readonly host: string
    readonly schema: string
    /** Delivery workers that may claim at once (each keeps a connection while it holds keys). */
    readonly claimers: number
  }
) =>
  Effect.gen(function* () {
    const table = `"${options.schema}".inbox`
    const wake = Notifications.payload("inbox", options.schema)
    const lockPrefix = keyLockPrefix(options.schema)

    // Front door: a batch of new messages in one statement, each answered on its own.
    const storeText = `
      WITH input AS (
        SELECT e, n FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
      ), inserted AS (
        INSERT INTO ${table} (message_id, key, type, envelope, source)
        SELECT e->>'messageId', e->>'key', e->>'type', e, 'external' FROM input ORDER BY n
        ON CONFLICT (message_id) DO NOTHING
        RETURNING message_id
      ), notified AS (
        SELECT pg_notify('${Notifications.channel}', $2) FROM (SELECT count(*) AS c FROM inserted) x WHERE x.c > 0
      )
      SELECT message_id FROM inserted UNION ALL SELECT NULL FROM notified`
    const storedText = `SELECT message_id, type, key, envelope->'version' AS version, envelope->'payload' AS payload
      FROM ${table} WHERE message_id = ANY($1::text[])`
    const storeConnections = yield* Effect.forEach(Array.from({ length: storeWriters }), () =>
      Dedicated.make(sql)
    )

    const writeStore = (connection: Dedicated.Dedicated, batch: ReadonlyArray<Envelope>) =>
      Effect.gen(function* () {
        const rows = yield* connection.execute<{ message_id: string | null }>(storeText, [
          JSON.stringify(batch),
          wake
        ])
        const inserted = new Set(rows.flatMap((row) => (row.message_id === null ? [] : [row.message_id])))
        // The rest were there already (or twice in this batch): the same message again is a no-op, another message
        // under a used id is refused.
        const others = batch.filter((envelope) => !inserted.has(envelope.messageId))
        const stored =
          others.length === 0
            ? []
            : yield* connection.execute<StoredRow>(storedText, [others.map((envelope) => envelope.messageId)])
        const byId = new Map(stored.map((row) => [row.message_id, row]))
        const firstInBatch = new Map<string, Envelope>()
        return batch.map((envelope): Exit.Exit<void, MessageIdReused> => {
          const earlier = firstInBatch.get(envelope.messageId)
          if (earlier === undefined) firstInBatch.set(envelope.messageId, envelope)
          if (inserted.has(envelope.messageId) && earlier === undefined) return Exit.void
          const row = earlier === undefined ? byId.get(envelope.messageId) : fromEnvelope(earlier)
          const difference = row === undefined ? undefined : differenceOf(row, envelope)
          return difference === undefined
            ? Exit.void
            : Exit.fail(
                new MessageIdReused({
                  host: options.host,
                  messageId: envelope.messageId,
                  reason: `message id ${envelope.messageId} was already used for another message (${difference}); the first one stands`
                })
              )
        })
      })

    const store = yield* Batcher.make<Envelope, void, PersistenceError | MessageIdReused>(
      (batch, worker) => {
        const connection = storeConnections[worker]!
        const attempt = (part: ReadonlyArray<Envelope>) =>
          Effect.mapError(writeStore(connection, part), (error) => SqlFailure.persistence("store", error))
        return attempt(batch).pipe(
          // One message the database refuses (a constraint, a trigger) would fail the whole batch: then each is
          // written alone, so only that one fails.
          Effect.catchAll((error) =>
            batch.length === 1 || error.unavailable === true
              ? Effect.fail(error)
              : Effect.forEach(batch, (envelope) =>
                  Effect.matchCause(attempt([envelope]), {
                    onFailure: (cause) => Exit.failCause(cause),
                    onSuccess: (results) => results[0]!
                  })
                )
          )
        )
      },
      { maxBatch: 256, workers: storeWriters }
    )

    // The relay's writes from other contexts: one at a time on a kept connection.
    const acceptText = `
      WITH inserted AS (
        INSERT INTO ${table} (message_id, key, type, envelope, source)
        SELECT r->>'messageId', r->>'key', r->>'type', r, $2 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, n)
        ORDER BY n
        ON CONFLICT (message_id) DO NOTHING
        RETURNING 1
      )
      SELECT pg_notify('${Notifications.channel}', $3) FROM (SELECT count(*) AS c FROM inserted) x WHERE x.c > 0`
    const acceptConnection = yield* Dedicated.make(sql)
    const acceptLock = yield* Effect.makeSemaphore(1)
    const accept = (source: string, messages: ReadonlyArray<Envelope>) =>
      acceptLock.withPermits(1)(
        Effect.mapError(
          acceptConnection.execute(acceptText, [JSON.stringify(messages), source, wake]),
          (error) => SqlFailure.persistence("accept", error)
        )
      )

    // One statement: the keys whose oldest pending message is due, locked (another worker or process skips them),
    // then those keys' pending messages in id order. The lock CTE calls a volatile function, so Postgres evaluates
    // it once per head row and never inlines it. The locks are the session's, on a connection kept for claims, and
    // are released when the claim's scope closes; a connection that dies releases them too.
    const claimText = `WITH heads AS (
        SELECT key, id FROM (
          SELECT DISTINCT ON (key) key, id, available_at FROM ${table}
          WHERE processed_at IS NULL AND parked_at IS NULL ORDER BY key, id
        ) oldest WHERE available_at <= now() ORDER BY id LIMIT ${claimKeys}
      ), locked AS (
        SELECT key FROM heads WHERE pg_try_advisory_lock(hashtextextended($1 || key, 0))
      )
      SELECT id, key, envelope, attempts FROM ${table}
      WHERE key IN (SELECT key FROM locked) AND processed_at IS NULL AND parked_at IS NULL
      ORDER BY id LIMIT ${claimRows}`
    const claimConnections = yield* Queue.unbounded<Dedicated.Dedicated>()
    for (let i = 0; i < options.claimers; i++)
      yield* Queue.offer(claimConnections, yield* Dedicated.make(sql))

    const claim: Effect.Effect<
      { readonly messages: ReadonlyArray<StoredMessage>; readonly more: boolean },
      PersistenceError,
      Scope.Scope
    > = Effect.gen(function* () {
      const connection = yield* Effect.acquireRelease(Queue.take(claimConnections), (kept) =>
        Queue.offer(claimConnections, kept)
      )
      // Every locked key has pending rows in the same snapshot, so an empty result holds no lock. An unlock the
      // database refuses leaves the locks on this connection's own session: the next claim's unlock releases them.
      const rows = yield* Effect.acquireRelease(
        Effect.mapError(connection.execute<ClaimRow>(claimText, [lockPrefix]), (error) =>
          SqlFailure.persistence("claim", error)
        ),
        (claimed) => (claimed.length === 0 ? Effect.void : Effect.ignore(connection.execute(unlockAll, [])))
      )
      const keys = new Set(rows.map((row) => row.key))
      return {
        messages: rows.map((row) => ({ id: String(row.id), envelope: row.envelope, attempts: row.attempts })),
        more: rows.length >= claimRows || keys.size >= claimKeys
      }
    })

    const defer = (message: StoredMessage, deferral: Deferral) =>
      Effect.asVoid(
        Effect.mapError(
          sql.unsafe(
            `UPDATE ${table} SET attempts = $2, last_error = $3,
               available_at = now() + ($4::text || ' milliseconds')::interval,
               parked_at = CASE WHEN $5 THEN now() ELSE NULL END
             WHERE id = $1`,
            [message.id, deferral.attempts, deferral.error, String(deferral.delayMillis), deferral.park]
          ),
          (error) => SqlFailure.persistence("defer", error)
        )
      )

    // A session lock on a reserved connection, the same kind the claims take: they skip this key meanwhile.
    const holdKey = (key: string) =>
      Effect.gen(function* () {
        const connection = yield* Effect.mapError(sql.reserve, (error) =>
          SqlFailure.persistence("hold", error)
        )
        const params = [lockPrefix, key]
        yield* Effect.acquireRelease(
          Effect.mapError(
            connection.execute("SELECT pg_advisory_lock(hashtextextended($1 || $2, 0))", params, undefined),
            (error) => SqlFailure.persistence("hold", error)
          ),
          () =>
            Effect.ignore(
              connection.execute(
                "SELECT pg_advisory_unlock(hashtextextended($1 || $2, 0))",
                params,
                undefined
              )
            )
        )
      })

    return { store, accept, claim, defer, holdKey }
  })

/**
 * The advisory lock name prefix that gives one delivery (or a hold) a context's key; commit_messages takes the same
 * lock, transaction-scoped, for a message handed over in memory.
 */
export const keyLockPrefix = (schema: string) => `mailroom:"${schema}":`

// internal

const unlockAll = "SELECT pg_advisory_unlock_all()"

interface ClaimRow {
  /** A bigint: node-postgres gives it as a string. */
  readonly id: string
  readonly key: string
  readonly envelope: Envelope
  readonly attempts: number
}

interface StoredRow {
  readonly message_id: string
  readonly type: string
  readonly key: string
  readonly version: unknown
  readonly payload: unknown
}

const fromEnvelope = (envelope: Envelope): StoredRow => ({
  message_id: envelope.messageId,
  type: envelope.type,
  key: envelope.key,
  version: envelope.version,
  payload: envelope.payload
})

/** What differs between the stored message and a new one under the same id, or undefined when it is the same. */
const differenceOf = (stored: StoredRow, envelope: Envelope): string | undefined => {
  const differences: Array<string> = []
  if (stored.type !== envelope.type) differences.push(`type ${stored.type}, now ${envelope.type}`)
  if (stored.key !== envelope.key) differences.push(`key ${stored.key}, now ${envelope.key}`)
  if (Number(stored.version) !== envelope.version)
    differences.push(`version ${String(stored.version)}, now ${envelope.version}`)
  if (!sameJson(stored.payload, envelope.payload)) differences.push("the stored payload differs")
  return differences.length === 0 ? undefined : differences.join("; ")
}

/** Deep equality of JSON values, ignoring object key order (jsonb does not keep it). */
const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const other = b as ReadonlyArray<unknown>
    return a.length === other.length && a.every((item, i) => sameJson(item, other[i]))
  }
  const left = Object.entries(a as Record<string, unknown>).filter(([, v]) => v !== undefined)
  const right = b as Record<string, unknown>
  return (
    left.length === Object.values(right).filter((v) => v !== undefined).length &&
    left.every(([k, v]) => sameJson(v, right[k]))
  )
}
