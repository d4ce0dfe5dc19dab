import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit, Schema } from "effect"
import type { Scope } from "effect"
import type { Loaded, PersistenceError } from "../commit/CommitBoundary.js"
import type { ContextStorage } from "../commit/ContextStorage.js"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import type { SqlError } from "@effect/sql/SqlError"
import * as Batcher from "./internal/batcher.js"
import * as CommitWriter from "./internal/commitWriter.js"
import * as Dedicated from "./internal/dedicated.js"
import * as Inbox from "./internal/inbox.js"
import * as Outbox from "./internal/outbox.js"
import * as SqlFailure from "./internal/sqlFailure.js"
import * as Views from "./internal/views.js"

/** Options of one context's storage. */
export interface PgStorageOptions {
  readonly host: string
  /** The context's schema in its database. */
  readonly schema: string
  /** Where the database is, for messages (never with a password). */
  readonly location: string
  /** Most handled messages committed in one transaction (group commit; default 64). */
  readonly maxBatch?: number
  /** Commit transactions in flight at once (default 1). */
  readonly writers?: number
  /** Delivery workers that claim this inbox at once in this process (default 1). */
  readonly claimers?: number
}

/**
 * One bounded context's storage on PostgreSQL: state, audit log, inbox and outbox in the context's own schema, on its
 * own database's client. No statement here reads or writes another context's schema.
 */
export const make = (
  sql: SqlClient.SqlClient,
  options: PgStorageOptions
): Effect.Effect<ContextStorage, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { host, schema } = options
    const s = `"${schema}"`
    const commit = yield* CommitWriter.make(sql, {
      host,
      schema,
      maxBatch: options.maxBatch ?? 64,
      writers: options.writers ?? 1
    })
    const inbox = yield* Inbox.make(sql, { host, schema, claimers: options.claimers ?? 1 })
    const outbox = yield* Outbox.make(sql, { schema })
    const views = Views.make(sql, { host, schema })

    // States this process committed last, so a key handled here twice in a row costs no read. A stale entry (another
    // process moved the key) surfaces as a version conflict and is dropped.
    const cache = new Map<string, Loaded>()
    // Reads of states not in the cache, grouped: keys asked for while a read is under way go together in the next
    // one (a burst of new keys, such as many timers falling due at once, costs a few reads instead of one each).
    const readText = `SELECT key, version, state FROM ${s}.state WHERE key = ANY($1::text[])`
    const readBatch = yield* Batcher.make<string, StateRow | undefined, SqlError>(
      (keys) =>
        Effect.map(sql.unsafe<StateRow>(readText, [[...new Set(keys)]]), (rows) => {
          const byKey = new Map(rows.map((row) => [row.key, row]))
          return keys.map((key) => Exit.succeed(byKey.get(key)))
        }),
      { maxBatch: 256, workers: 2 }
    )
    const read = (
      definition: AnyHostDefinition,
      key: string
    ): Effect.Effect<Loaded | undefined, PersistenceError> => {
      const decode = Schema.decodeUnknown(definition.state)
      return readBatch(key).pipe(
        onceMoreIfLost,
        Effect.mapError((error) => SqlFailure.persistence("load", error)),
        Effect.flatMap((row) => {
          if (row === undefined) return Effect.succeed(undefined)
          return Effect.mapBoth(decode(row.state), {
            onFailure: (error) =>
              SqlFailure.persistence(
                "load",
                new Error(`stored state of ${host}/${key} does not decode: ${error.message}`)
              ),
            onSuccess: (state): Loaded => ({ state, version: Number(row.version) })
          })
        })
      )
    }

    return {
      host,
      location: options.location,
      store: inbox.store,
      load: (definition, key) => {
        const cached = cache.get(key)
        return cached !== undefined ? Effect.succeed(cached) : read(definition, key)
      },
      read,
      keys: sql.unsafe<{ key: string }>(`SELECT key FROM ${s}.state ORDER BY key`).pipe(
        onceMoreIfLost,
        Effect.map((rows) => rows.map((row) => row.key)),
        Effect.mapError((error) => SqlFailure.persistence("keys", error))
      ),
      audit: (key) =>
        sql
          .unsafe<Views.AuditRow>(
            Views.auditQuery(schema, key === undefined ? "all" : "one"),
            key === undefined ? [] : [key]
          )
          .pipe(
            onceMoreIfLost,
            Effect.map((rows) => rows.map((row) => Views.toAuditEntry(host, row))),
            Effect.mapError((error) => SqlFailure.persistence("audit", error))
          ),
      commit: (request) =>
        commit(request).pipe(
          Effect.tap((result) =>
            Effect.sync(() => {
              if (result._tag === "Committed" && request.request.state !== undefined)
                remember(cache, request.request.key, {
                  state: request.request.state,
                  version: result.version
                })
            })
          ),
          Effect.tapErrorTag("VersionConflict", () => Effect.sync(() => cache.delete(request.request.key)))
        ),
      accept: inbox.accept,
      claimInbox: inbox.claim,
      deferInbox: inbox.defer,
      claimOutbox: outbox.claim,
      markForwarded: outbox.markForwarded,
      deferOutbox: outbox.defer,
      backlog: views.backlog,
      stats: views.stats,
      parked: views.parked,
      pending: views.pending,
      scheduled: views.scheduled,
      messageStatus: views.messageStatus,
      redrive: views.redrive,
      purge: views.purge,
      holdKey: inbox.holdKey
    }
  })

// internal

interface StateRow {
  readonly key: string
  /** A bigint: node-postgres gives it as a string. */
  readonly version: string
  readonly state: unknown
}

/**
 * A read is sent once more when its connection was lost (a reset, a server restart), not when the database refused
 * it. It goes after the I/O events already received, so the pool has noticed the other connections that ended too
 * and the read gets one that works.
 */
const onceMoreIfLost = <A, R>(effect: Effect.Effect<A, SqlError, R>): Effect.Effect<A, SqlError, R> =>
  Effect.catchIf(
    effect,
    (error) => !Dedicated.refused(error),
    () => Effect.zipRight(Dedicated.afterPendingIo, effect)
  )

/** Most states kept in the write cache; the least recently committed are forgotten first. */
const cacheLimit = 10_000

const remember = (entries: Map<string, Loaded>, key: string, loaded: Loaded) => {
  entries.delete(key)
  entries.set(key, loaded)
  if (entries.size > cacheLimit) {
    const oldest = entries.keys().next()
    if (!oldest.done) entries.delete(oldest.value)
  }
}
