import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit, Schema } from "effect"
import type { Scope } from "effect"
import { Behind, PersistenceError, VersionConflict } from "../../commit/CommitBoundary.js"
import type { StorageCommit, StorageCommitResult, Written } from "../../commit/ContextStorage.js"
import type { Envelope } from "../../runtime/Envelope.js"
import * as Batcher from "./batcher.js"
import * as Dedicated from "./dedicated.js"
import * as SqlFailure from "./sqlFailure.js"

/** Options of one context's commit writer. */
export interface CommitWriterOptions {
  readonly host: string
  readonly schema: string
  /** Most handled messages written in one transaction. */
  readonly maxBatch: number
  /**
   * Transactions in flight at once (default 1). Fewer writers make bigger batches (group commit); more overlap the
   * database's flushes.
   */
  readonly writers: number
}

/**
 * Group commit of one context: concurrent commits are written in one transaction by `commit_messages` (state with the
 * version check, audit entry, inbox mark, outbox rows, all in this context's schema), each with its own outcome. A
 * statement the database refuses for one commit (a constraint, a trigger, a value it cannot store) would fail the whole
 * group, so then each is written alone and only that one fails.
 */
export const make = (
  sql: SqlClient.SqlClient,
  options: CommitWriterOptions
): Effect.Effect<
  (commit: StorageCommit) => Effect.Effect<StorageCommitResult, PersistenceError | VersionConflict | Behind>,
  never,
  Scope.Scope
> =>
  Effect.gen(function* () {
    // Each writer keeps its own connection and runs the commit's precompiled text (see dedicated).
    const connections = yield* Effect.forEach(Array.from({ length: options.writers }), () =>
      Dedicated.make(sql)
    )
    const text = `SELECT idx, outcome, new_version, written FROM "${options.schema}".commit_messages($1::jsonb)`

    const write = (
      connection: Dedicated.Dedicated,
      batch: ReadonlyArray<Prepared>,
      indices: ReadonlyArray<number>
    ) =>
      connection.execute<OutcomeRow>(text, [JSON.stringify(indices.map((i) => batch[i]!.item))]).pipe(
        Effect.map((rows) => rows.map((row): Outcome => [indices[row.idx]!, row])),
        Effect.catchAll((error) =>
          Effect.succeed(indices.map((i): Outcome => [i, SqlFailure.persistence("commit", error)]))
        )
      )

    const commitBatch = yield* Batcher.make<
      Prepared,
      StorageCommitResult,
      PersistenceError | VersionConflict | Behind
    >(
      (batch, worker) =>
        Effect.gen(function* () {
          const connection = connections[worker]!
          const all = batch.map((_, i) => i)
          const grouped = yield* write(connection, batch, all)
          const failed = batch.length > 1 && grouped.some(([, row]) => row instanceof PersistenceError)
          const outcomes = new Map(
            failed ? (yield* Effect.forEach(all, (i) => write(connection, batch, [i]))).flat() : grouped
          )
          return batch.map(({ commit }, i) => resultOf(options.host, commit, outcomes.get(i)))
        }),
      { maxBatch: options.maxBatch, workers: options.writers }
    )
    // Encoded before it joins a group, so a state that cannot be encoded (a bug: a defect) fails its own commit only.
    return (commit: StorageCommit) => Effect.suspend(() => commitBatch({ commit, item: toItem(commit) }))
  })

// internal

interface Prepared {
  readonly commit: StorageCommit
  readonly item: ReturnType<typeof toItem>
}

interface OutcomeRow {
  readonly idx: number
  readonly outcome: string
  readonly new_version: string | number | null
  /** [id, destination, message id, ahead] per outbox row written. */
  readonly written: ReadonlyArray<readonly [string, string, string, boolean]> | null
}

/** What became of the commit at one index of a group: its row from commit_messages, or why it was not written. */
type Outcome = readonly [number, OutcomeRow | PersistenceError]

const resultOf = (
  host: string,
  commit: StorageCommit,
  row: OutcomeRow | PersistenceError | undefined
): Exit.Exit<StorageCommitResult, PersistenceError | VersionConflict | Behind> => {
  const request = commit.request
  if (row instanceof PersistenceError) return Exit.fail(row)
  if (row === undefined)
    return Exit.fail(new PersistenceError({ operation: "commit", message: "no outcome" }))
  switch (row.outcome) {
    case "conflict":
      return Exit.fail(new VersionConflict({ host, key: request.key, expected: request.expectedVersion }))
    case "behind":
      return Exit.fail(new Behind({ host, key: request.key, messageId: request.consumed.messageId }))
    case "duplicate":
      return Exit.succeed({ _tag: "Duplicate", version: Number(row.new_version ?? request.expectedVersion) })
  }
  const envelopes = new Map<string, Envelope>()
  for (const { destination, envelope } of commit.outbox)
    envelopes.set(`${destination}\u0000${envelope.messageId}`, envelope)
  const written: Array<Written> = []
  for (const [id, destination, messageId, ahead] of row.written ?? []) {
    const envelope = envelopes.get(`${destination}\u0000${messageId}`)
    if (envelope !== undefined) written.push({ id, destination, envelope, ahead })
  }
  return Exit.succeed({
    _tag: "Committed",
    version: Number(row.new_version ?? request.expectedVersion),
    written
  })
}

const toItem = (commit: StorageCommit) => {
  const request = commit.request
  const encoded =
    request.state === undefined ? undefined : Schema.encodeSync(request.host.state)(request.state)
  return {
    key: request.key,
    message_id: request.consumed.messageId,
    expected: request.expectedVersion,
    ...(encoded === undefined ? {} : { state: encoded }),
    ...(commit.handedOverBy === undefined ? {} : { source: commit.handedOverBy }),
    ...(commit.handOver === true ? { handover: true } : {}),
    message: request.consumed,
    events: request.events,
    commands: request.commands,
    outbox: commit.outbox.map(({ destination, envelope }) => ({
      destination,
      key: envelope.key,
      message_id: envelope.messageId,
      type: envelope.type,
      envelope
    })),
    ...(commit.scheduled === undefined || commit.scheduled.length === 0
      ? {}
      : {
          scheduled: commit.scheduled.map(({ destination, envelope, dueAt }) => ({
            destination,
            key: envelope.key,
            message_id: envelope.messageId,
            type: envelope.type,
            envelope,
            due_at: dueAt
          })),
          scheduled_log: request.scheduled
        }),
    ...(request.cancelled === undefined || request.cancelled.length === 0
      ? {}
      : { cancelled: request.cancelled })
  }
}
