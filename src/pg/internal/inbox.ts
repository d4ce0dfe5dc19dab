import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit, Queue } from "effect"
import type { Scope } from "effect"
import {
  differenceOf,
  type MessageIdReused,
  messageIdReused,
  type PersistenceError
} from "../../commit/CommitBoundary.js"
import type { Deferral, StoredMessage } from "../../commit/ContextStorage.js"
import type { Envelope } from "../../runtime/Envelope.js"
import * as Batcher from "./batcher.js"
import * as Dedicated from "./dedicated.js"
import * as Notifications from "./notifications.js"
import * as SqlFailure from "./sqlFailure.js"

/** Front-door writes in flight at once per context, each on its own kept connection. */
export const frontDoorWriters = 2

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

    // Front door: a batch of new messages in one statement, each answered on its own (see `storeStatement`).
    const storeText = storeStatement(table, wake)
    const storedText = `SELECT message_id, type, key, envelope->'version' AS version, envelope->'payload' AS payload
      FROM ${table} WHERE message_id = ANY($1)`
    const storeConnections = yield* Effect.forEach(Array.from({ length: frontDoorWriters }), () =>
      Dedicated.make(sql)
    )

    const store = yield* Batcher.make<Envelope, void, PersistenceError | MessageIdReused>(
      (batch, worker) =>
        Effect.gen(function* () {
          const connection = storeConnections[worker]!
          // A store is idempotent by message id: a statement lost with its connection (a reset, a server restart) is
          // sent once more, on a fresh connection (the kept one retired itself), before anyone sees a failure.
          const write = (envelopes: ReadonlyArray<Envelope>) =>
            Effect.suspend(() => {
              const params = [JSON.stringify(envelopes)]
              return connection.execute<StoreRow>(storeText, params).pipe(
                Effect.catchIf(
                  (error) => !Dedicated.refused(error),
                  () =>
                    Effect.zipRight(Dedicated.afterPendingIo, connection.execute<StoreRow>(storeText, params))
                )
              )
            })
          // Rows of ids that were already received: compared with what is stored (read again when the statement's
          // snapshot could not see it: another transaction stored it meanwhile).
          const outcomesOf = (envelopes: ReadonlyArray<Envelope>, rows: ReadonlyArray<StoreRow>) =>
            Effect.gen(function* () {
              const outcomes: Array<Exit.Exit<void, PersistenceError | MessageIdReused>> = envelopes.map(
                () => Exit.void
              )
              const unseen: Array<number> = []
              for (const row of rows) {
                if (row.idx < 0) continue
                if (row.message_id === null) unseen.push(row.idx)
                else outcomes[row.idx] = compared(options.host, envelopes[row.idx]!, row)
              }
              if (unseen.length > 0) {
                const stored = yield* sql
                  .unsafe<StoreRow>(storedText, [unseen.map((i) => envelopes[i]!.messageId)])
                  .pipe(Effect.mapError((error) => SqlFailure.persistence("store", error)))
                for (const i of unseen) {
                  const row = stored.find((r) => r.message_id === envelopes[i]!.messageId)
                  if (row !== undefined) outcomes[i] = compared(options.host, envelopes[i]!, row)
                }
              }
              return outcomes
            })
          // The same id twice in one batch: the first is written, a later one shares its outcome if it is the same
          // message and is refused if it is not.
          const firstOf = new Map<string, number>()
          const unique: Array<Envelope> = []
          const slot = batch.map((envelope) => {
            const known = firstOf.get(envelope.messageId)
            if (known !== undefined) return known
            firstOf.set(envelope.messageId, unique.length)
            unique.push(envelope)
            return unique.length - 1
          })
          const grouped = yield* Effect.either(write(unique))
          let outcomes: ReadonlyArray<Exit.Exit<void, PersistenceError | MessageIdReused>>
          if (grouped._tag === "Right") outcomes = yield* outcomesOf(unique, grouped.right)
          else if (unique.length > 1 && Dedicated.refused(grouped.left)) {
            // The batch is one statement, so one message the database refuses (a value, a constraint, a trigger)
            // fails all of it; then each is written alone, so only that one fails.
            outcomes = yield* Effect.forEach(unique, (envelope) =>
              Effect.either(write([envelope])).pipe(
                Effect.flatMap((alone) =>
                  alone._tag === "Right"
                    ? Effect.map(outcomesOf([envelope], alone.right), (exits) => exits[0]!)
                    : Effect.succeed(Exit.fail(SqlFailure.persistence("store", alone.left)))
                )
              )
            )
          } else outcomes = unique.map(() => Exit.fail(SqlFailure.persistence("store", grouped.left)))
          return batch.map((envelope, i) => {
            const outcome = outcomes[slot[i]!]!
            const first = unique[slot[i]!]!
            if (first === envelope) return outcome
            const difference = differenceOf(first, envelope)
            return difference === undefined
              ? outcome
              : Exit.fail(messageIdReused(options.host, envelope.messageId, difference))
          })
        }),
      { maxBatch: 256, workers: frontDoorWriters }
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

/** A row of the store statement (or of the read of stored messages): see `storeStatement`. */
interface StoreRow {
  readonly idx: number
  readonly message_id: string | null
  readonly type: string | null
  readonly key: string | null
  readonly version: number | null
  readonly payload: unknown
}

/**
 * The front door's statement: a batch of envelopes into the inbox, each id once (ON CONFLICT keeps what is there),
 * one NOTIFY when anything was new. It answers a row `idx = -1` for that NOTIFY, and a row per envelope whose id was
 * already taken by a message that is not the same (type, version, key, payload) or that this statement's snapshot
 * cannot see (stored by a transaction that committed meanwhile: read again); usually no row at all.
 */
const storeStatement = (table: string, wake: string) => `
  WITH input AS (
    SELECT e, n FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
  ), inserted AS (
    INSERT INTO ${table} (message_id, key, type, envelope, source)
    SELECT e->>'messageId', e->>'key', e->>'type', e, 'external' FROM input ORDER BY n
    ON CONFLICT (message_id) DO NOTHING
    RETURNING message_id
  ), woken AS (
    SELECT pg_notify('${Notifications.channel}', '${wake}') FROM (SELECT 1 FROM inserted LIMIT 1) one
  )
  SELECT -1 AS idx, NULL::text AS message_id, NULL::text AS type, NULL::text AS key, NULL::jsonb AS version,
    NULL::jsonb AS payload FROM woken
  UNION ALL
  SELECT (i.n - 1)::integer, b.message_id, b.type, b.key, b.envelope->'version', b.envelope->'payload'
  FROM input i LEFT JOIN ${table} b ON b.message_id = i.e->>'messageId'
  WHERE NOT EXISTS (SELECT 1 FROM inserted x WHERE x.message_id = i.e->>'messageId')
    AND (b.message_id IS NULL OR b.type IS DISTINCT FROM i.e->>'type' OR b.key IS DISTINCT FROM i.e->>'key'
      OR b.envelope->'version' IS DISTINCT FROM i.e->'version'
      OR b.envelope->'payload' IS DISTINCT FROM i.e->'payload')`

/** A stored envelope against the message stored under its id: the same message (accepted again), or a reuse. */
const compared = (host: string, envelope: Envelope, stored: StoreRow): Exit.Exit<void, MessageIdReused> => {
  const difference = differenceOf(
    {
      type: stored.type ?? "",
      version: Number(stored.version),
      key: stored.key ?? "",
      payload: stored.payload
    },
    envelope
  )
  return difference === undefined
    ? Exit.void
    : Exit.fail(messageIdReused(host, envelope.messageId, difference))
}
