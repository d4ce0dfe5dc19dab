import { Clock, type Duration, Effect, Option } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as DeliveryInspector from "./DeliveryInspector.js"
import * as Reconcile from "./Reconcile.js"
import type * as Result from "./Result.js"
import * as SandboxError from "./SandboxError.js"

/** The sandbox's delivery commands: what waits in outboxes and inboxes, what was parked, and stuck flows. */
export interface Delivery {
  /** Outbox counts per host and the oldest rows (Postgres mode; NotAvailable in memory). */
  readonly outbox: (limit: number) => Effect.Effect<Result.Result, unknown>
  /** Inbox counts per host and the oldest rows (Postgres mode; NotAvailable in memory). */
  readonly inbox: (limit: number) => Effect.Effect<Result.Result, unknown>
  /** Every parked message: by a host's supervisor, and (Postgres mode) by the relay. */
  readonly parkedRows: Effect.Effect<ReadonlyArray<Result.ParkedRow>, unknown>
  readonly redrive: (id: string) => Effect.Effect<Result.Result, unknown>
  /** Paid moves without a payment outcome and parked messages older than `olderThan`. */
  readonly reconcile: (olderThan: Duration.Duration) => Effect.Effect<Result.Result, unknown>
}

/** Builds the delivery commands over the running application and, when the boundary has one, its relay's view. */
export const make: Effect.Effect<Delivery, never, Application.Application> = Effect.gen(function* () {
  const app = yield* Application.Application
  const inspector = yield* Effect.serviceOption(DeliveryInspector.DeliveryInspector)

  const notAvailable = (what: string) =>
    new SandboxError.NotAvailable({
      message: `${what} exists only in Postgres mode (--boundary postgres): the memory boundary hands messages on in process right after the state is saved, so nothing waits in a table`
    })

  const pendingRows = (
    relay: DeliveryInspector.DeliveryInspector["Type"],
    box: "outbox" | "inbox",
    limit: number
  ) =>
    Effect.gen(function* () {
      const rows = yield* relay.pending(limit)
      const now = yield* Clock.currentTimeMillis
      return rows
        .filter((row) => row.box === box)
        .map(
          (row): Result.PendingRow => ({
            host: row.host,
            box: row.box,
            messageId: row.messageId,
            type: row.type,
            gameId: row.key,
            peer: row.peer,
            attempts: row.attempts,
            lastError: row.lastError,
            // `since` comes from the database's clock: never show a negative age for a small skew.
            ageMillis: Math.max(0, now - row.since)
          })
        )
    })

  const outbox = (limit: number): Effect.Effect<Result.Result, unknown> =>
    Option.match(inspector, {
      onNone: () => Effect.fail(notAvailable("The outbox")),
      onSome: (relay) =>
        Effect.gen(function* () {
          const boxes = yield* relay.boxes
          return {
            command: "outbox",
            hosts: boxes.map((b) => ({ host: b.host, pending: b.outboxPending })),
            rows: yield* pendingRows(relay, "outbox", limit),
            limit
          } satisfies Result.Result
        })
    })

  const inbox = (limit: number): Effect.Effect<Result.Result, unknown> =>
    Option.match(inspector, {
      onNone: () => Effect.fail(notAvailable("The inbox")),
      onSome: (relay) =>
        Effect.gen(function* () {
          const boxes = yield* relay.boxes
          return {
            command: "inbox",
            hosts: boxes.map((b) => ({ host: b.host, pending: b.inboxPending, lagMillis: b.lagMillis })),
            rows: yield* pendingRows(relay, "inbox", limit),
            limit
          } satisfies Result.Result
        })
    })

  const parkedRows = Effect.gen(function* () {
    const rows: Array<Result.ParkedRow> = []
    for (const host of app.hosts.values()) {
      for (const parked of yield* host.actor.parked) {
        rows.push({
          id: parked.id,
          host: host.name,
          source: "actor",
          gameId: parked.key,
          type: parked.message.type,
          messageId: parked.message.messageId,
          attempts: parked.attempts,
          cause: parked.causeText.split("\n")[0] ?? ""
        })
      }
    }
    if (Option.isSome(inspector)) {
      for (const row of yield* inspector.value.parked) {
        rows.push({
          id: row.messageId,
          host: row.host,
          source: `relay ${row.box}`,
          gameId: row.key,
          type: row.type,
          messageId: row.messageId,
          attempts: row.attempts,
          cause: row.lastError ?? ""
        })
      }
    }
    return rows
  })

  const redrive = (id: string) =>
    Effect.gen(function* () {
      for (const host of app.hosts.values()) {
        const done = yield* host.actor.redrive(id).pipe(
          Effect.as(true),
          Effect.catchTag("NotParked", () => Effect.succeed(false))
        )
        if (done) return { command: "redrive", id, host: host.name } satisfies Result.Result
      }
      if (Option.isSome(inspector)) {
        const row = (yield* inspector.value.parked).find((r) => r.messageId === id)
        if (row !== undefined && (yield* inspector.value.redrive(id))) {
          return { command: "redrive", id, host: row.host } satisfies Result.Result
        }
      }
      return yield* new SandboxError.NotParked({ message: `nothing parked has id "${id}" (see parked)` })
    })

  const reconcile = (olderThan: Duration.Duration) =>
    Effect.gen(function* () {
      const report = yield* Reconcile.reconcile(olderThan, Option.getOrUndefined(inspector))
      return {
        command: "reconcile",
        olderThanMillis: report.olderThanMillis,
        pendingMovements: report.pendingMovements.map(
          ({ gameId, nation, target, billingId, amount, ageMillis }) => ({
            gameId,
            nation,
            target,
            billingId,
            amount,
            ageMillis
          })
        ),
        parked: report.parked.map(({ id, host, where, key, type, attempts, reason, ageMillis }) => ({
          id,
          host,
          where,
          gameId: key,
          type,
          attempts,
          reason,
          ageMillis
        })),
        overdueTimers: report.overdueTimers.map((t) => ({
          messageId: t.messageId,
          host: t.host,
          destination: t.destination,
          type: t.type,
          gameId: t.key,
          dueAt: t.dueAt,
          overdueMillis: t.overdueMillis,
          cause: t.causationId
        }))
      } satisfies Result.Result
    }).pipe(Effect.provideService(Application.Application, app))

  return { outbox, inbox, parkedRows, redrive, reconcile } satisfies Delivery
})
