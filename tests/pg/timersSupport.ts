import type * as SqlClient from "@effect/sql/SqlClient"
import { assert } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import * as Faults from "../../src/commit/Faults.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as PgBoundary from "../../src/pg/PgBoundary.js"
import * as Placement from "../../src/pg/Placement.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import * as Progress from "../../src/testing/internal/progress.js"
import * as Deadline from "../app/deadlineHost.js"
import { fastRelay, start } from "./imperialPg.js"

// The example shop/payments hosts (a payment deadline and its cancellation) on the durable boundary.

/** Both example hosts on the database at `url`, in an application of their own (stop it, or kill it). */
export const deadlineApp = (
  url: string,
  options: { readonly relay?: PgBoundary.PgBoundaryOptions["relay"]; readonly prefix?: string } = {}
) =>
  start(
    Application.layer(Deadline.definitions).pipe(
      Layer.provideMerge(
        PgBoundary.layerPlaced({
          hosts: Deadline.definitions,
          placement: Placement.single(url),
          relay: { ...fastRelay, ...options.relay },
          connectRetry: false,
          maxConnections: 12,
          ...(options.prefix === undefined ? {} : { schemaPrefix: options.prefix })
        })
      ),
      Layer.provideMerge(Layer.mergeAll(ActorSystem.layer, MessageIds.layer, Bus.layer, Faults.layer))
    )
  )

export const place = (orderId: string, payWithinMillis: number) =>
  Effect.flatMap(Application.Application, (app) =>
    app.host(Deadline.shop).send(Deadline.PlaceOrder.make({ orderId, amount: 5, payWithinMillis }))
  )
export const pay = (orderId: string) =>
  Effect.flatMap(Application.Application, (app) =>
    app.host(Deadline.payments).send(Deadline.Pay.make({ orderId }))
  )

export interface OrderRow {
  readonly status: string
  readonly deadlinesSeen: number
}

export const orderOf = (sql: SqlClient.SqlClient, orderId: string) =>
  Effect.map(
    Effect.orDie(sql.unsafe<{ state: OrderRow }>(`SELECT state FROM shop.state WHERE key = $1`, [orderId])),
    (rows) => rows[0]?.state
  )

export const paymentOf = (sql: SqlClient.SqlClient, orderId: string) =>
  Effect.map(
    Effect.orDie(
      sql.unsafe<{ state: { requested: boolean; paid: boolean; cancelled: boolean } }>(
        `SELECT state FROM payments.state WHERE key = $1`,
        [orderId]
      )
    ),
    (rows) => rows[0]?.state
  )

/** Scheduled rows of shop's outbox (pending or not), by message id. */
export const scheduledRows = (sql: SqlClient.SqlClient) =>
  Effect.orDie(
    sql.unsafe<{ message_id: string; key: string; destination: string; due: boolean }>(
      `SELECT message_id, key, destination, due_at <= now() AS due FROM shop.outbox WHERE due_at IS NOT NULL ORDER BY id`
    )
  )

/** Deadlines shop handled, with how often each was committed (its inbox mark is one per id). */
export const deadlinesHandled = (sql: SqlClient.SqlClient) =>
  Effect.orDie(
    sql.unsafe<{ message_id: string; key: string; n: string; late_ms: number }>(
      `SELECT message_id, key, count(*) AS n,
         min(extract(epoch FROM committed_at) * 1000 - (message->>'occurredAt')::double precision) AS late_ms
       FROM shop.audit WHERE message->>'type' = 'PaymentDeadline' GROUP BY message_id, key ORDER BY key`
    )
  )

/** A count that grows with everything the example hosts write (commits, arrivals, attempts, marks). */
const activity = (sql: SqlClient.SqlClient) =>
  Effect.map(
    Effect.orDie(
      sql.unsafe<{ n: string }>(
        ["shop", "payments"]
          .map(
            (h) => `(SELECT count(*) FROM ${h}.audit)
              + (SELECT count(*) + count(processed_at) + coalesce(sum(attempts), 0) FROM ${h}.inbox)
              + (SELECT count(*) + coalesce(sum(attempts), 0) FROM ${h}.outbox)`
          )
          .join(" + ")
          .replace(/^/, "SELECT ")
          .concat(" AS n")
      )
    ),
    (rows) => Number(rows[0]?.n ?? 0)
  )

/**
 * Polls `check` until it holds; fails when nothing moved in the database for a minute, as the rest of the suite's
 * waits do (not after a fixed time). 20 s was too short: a full suite under load once went 20 s without a write here.
 */
export const eventually = <E, R>(
  sql: SqlClient.SqlClient,
  what: string,
  check: Effect.Effect<boolean, E, R>,
  options: Progress.WaitOptions = {}
) =>
  Progress.until(
    what,
    Effect.map(Effect.all([check, activity(sql)]), ([done, progress]) => ({ done, progress })),
    options
  ).pipe(
    Effect.catchIf(
      (error): error is Progress.Stalled => error instanceof Progress.Stalled,
      (stalled) =>
        Effect.flatMap(boxes(sql), (rows) =>
          Effect.sync(() => assert.fail(`${stalled.message}\nthe example hosts' boxes then:\n${rows}`))
        )
    )
  )

/** Every inbox and outbox row of the example hosts, one per line: what a stalled wait saw. */
const boxes = (sql: SqlClient.SqlClient) =>
  Effect.map(
    Effect.orDie(
      sql.unsafe<{ row: string }>(
        ["shop", "payments"]
          .flatMap((h) => [
            `SELECT '${h}.inbox ' || row_to_json(b)::text AS row FROM (SELECT id, key, type, message_id, processed_at,
               parked_at, available_at, attempts, last_error, source FROM ${h}.inbox ORDER BY id) b`,
            `SELECT '${h}.outbox ' || row_to_json(b)::text AS row FROM (SELECT id, key, type, destination, message_id,
               due_at, delivered_at, parked_at, attempts, last_error FROM ${h}.outbox ORDER BY id) b`
          ])
          .join(" UNION ALL ")
      )
    ),
    (rows) => rows.map((r) => r.row).join("\n")
  )

/** Waits until the database's clock has passed every scheduled row's due time (nothing else moves meanwhile). */
export const untilAllDue = (sql: SqlClient.SqlClient) =>
  Progress.until(
    "every scheduled message to fall due",
    Effect.map(scheduledRows(sql), (rows) => ({ done: rows.every((row) => row.due), progress: 0 })),
    { stall: "30 seconds" }
  )
