import { assert, describe, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Relay from "../../src/commit/Relay.js"
import * as Timers from "../../src/commit/Timers.js"
import { killed, sqlClient } from "./imperialPg.js"
import { freshDatabase } from "./support.js"
import {
  deadlineApp,
  deadlinesHandled,
  eventually,
  orderOf,
  pay,
  paymentOf,
  place,
  scheduledRows,
  untilAllDue
} from "./timersSupport.js"

// Scheduled messages on PostgreSQL: rows of the producer's outbox with a due time, forwarded by the relay when due
// into the consumer's inbox and handled in the consumer's own transaction, at least once, deduplicated by the inbox.

const setting = Effect.gen(function* () {
  const { url } = yield* freshDatabase()
  const sql = yield* sqlClient(url)
  return { url, sql }
})

/**
 * Stops (or lets go again) shop's relay: every forwarding round of shop's outbox fails, so what shop's commits write
 * there (its payment requests, its deadlines) stays there, however slow the machine, until the fault is cleared.
 */
const holdShopOutbox = (app: Effect.Effect.Success<ReturnType<typeof deadlineApp>>) =>
  Context.get(app.context, Faults.Faults).arm("relay", 1_000_000, "shop")
const releaseShopOutbox = (app: Effect.Effect.Success<ReturnType<typeof deadlineApp>>) =>
  Context.get(app.context, Faults.Faults).clear

const status = (sql: Effect.Effect.Success<typeof setting>["sql"], orderId: string, expected: string) =>
  Effect.map(orderOf(sql, orderId), (order) => order?.status === expected)

describe.concurrent("timers on Postgres", () => {
  it.scopedLive(
    "a deadline waits in the outbox, fires when due (never before), in the consumer's transaction, once",
    () =>
      Effect.gen(function* () {
        const { url, sql } = yield* setting
        const app = yield* deadlineApp(url)
        // Looked at in the outbox before it can fire: on a loaded machine 400 ms pass before the first look.
        yield* holdShopOutbox(app)
        yield* app.run(place("a", 400))
        yield* eventually(
          sql,
          "the deadline to be scheduled",
          Effect.map(scheduledRows(sql), (r) => r.length === 1)
        )
        const [row] = yield* scheduledRows(sql)
        assert.deepStrictEqual([row?.key, row?.destination], ["a", "shop"])
        const listed = yield* app.run(Timers.pending)
        assert.deepStrictEqual(
          listed.map((t) => [t.host, t.destination, t.type, t.key, t.messageId === row?.message_id]),
          [["shop", "shop", "PaymentDeadline", "a", true]]
        )
        yield* releaseShopOutbox(app)
        // Not due yet (unless the machine is slow): settle does not count it as backlog (it would wait for it only
        // with timers: "wait").
        yield* app.run(Effect.flatMap(Application.Application, (a) => a.settle({ timeout: "20 seconds" })))
        yield* eventually(sql, "the order to expire", status(sql, "a", "Expired"))
        // The expiry's cancellation reaches payments as a message of its own, handled in payments' transaction.
        yield* eventually(
          sql,
          "payments to take the cancellation",
          Effect.map(paymentOf(sql, "a"), (payment) => payment?.cancelled === true)
        )
        assert.deepStrictEqual(yield* paymentOf(sql, "a"), { requested: true, paid: false, cancelled: true })
        const handled = yield* deadlinesHandled(sql)
        assert.deepStrictEqual(
          handled.map((h) => [h.key, Number(h.n)]),
          [["a", 1]]
        )
        // Committed at or after its due time (occurredAt is the due time), never before.
        assert.isAtLeast(handled[0]!.late_ms, 0)
        assert.deepStrictEqual(yield* scheduledRows(sql), [])
        assert.deepStrictEqual(yield* app.run(Timers.pending), [])
      })
  )

  it.scopedLive(
    "the relay wakes for the due time itself: with polling an hour apart, the deadline still fires",
    () =>
      Effect.gen(function* () {
        const { url, sql } = yield* setting
        const app = yield* deadlineApp(url, { relay: { pollInterval: "1 hour" } })
        yield* app.run(place("w", 300))
        yield* eventually(sql, "the order to expire", status(sql, "w", "Expired"))
        assert.deepStrictEqual(
          (yield* deadlinesHandled(sql)).map((h) => [h.key, Number(h.n)]),
          [["w", 1]]
        )
      })
  )

  it.scopedLive(
    "paid first: the cancellation deletes the scheduled row in the paying commit, so it never fires",
    () =>
      Effect.gen(function* () {
        const { url, sql } = yield* setting
        const app = yield* deadlineApp(url)
        yield* app.run(place("b", 3_600_000))
        yield* eventually(
          sql,
          "the payment request",
          Effect.map(paymentOf(sql, "b"), (p) => p?.requested === true)
        )
        assert.strictEqual((yield* scheduledRows(sql)).length, 1)
        yield* app.run(pay("b"))
        yield* eventually(sql, "the order to be paid", status(sql, "b", "Paid"))
        assert.deepStrictEqual(yield* scheduledRows(sql), [])
        const audit = yield* sql.unsafe<{ cancelled: ReadonlyArray<string> | null; scheduled: unknown }>(
          `SELECT cancelled, scheduled FROM shop.audit WHERE key = 'b' ORDER BY seq`
        )
        assert.deepStrictEqual(
          audit.map((e) => [
            e.scheduled === null ? 0 : (e.scheduled as Array<unknown>).length,
            e.cancelled?.length ?? 0
          ]),
          [
            [1, 0],
            [0, 1]
          ]
        )
        assert.deepStrictEqual(yield* deadlinesHandled(sql), [])
      })
  )

  it.scopedLive(
    "a deadline scheduled before every process was killed, and due while down, fires at the next start",
    () =>
      Effect.gen(function* () {
        const { url, sql } = yield* setting
        const first = yield* deadlineApp(url)
        // Nothing of shop's outbox leaves before the kill, however long the kill takes to come.
        yield* holdShopOutbox(first)
        yield* first.run(place("c", 300))
        yield* eventually(
          sql,
          "the deadline to be scheduled",
          Effect.map(scheduledRows(sql), (r) => r.length === 1)
        )
        yield* first.stop(killed)
        yield* untilAllDue(sql)
        assert.strictEqual((yield* orderOf(sql, "c"))?.status, "AwaitingPayment")
        const second = yield* deadlineApp(url)
        yield* eventually(sql, "the order to expire after the restart", status(sql, "c", "Expired"))
        assert.deepStrictEqual(
          (yield* deadlinesHandled(sql)).map((h) => [h.key, Number(h.n)]),
          [["c", 1]]
        )
        yield* second.stop()
      })
  )

  it.scopedLive("with two processes on one database, each due message is handled once", () =>
    Effect.gen(function* () {
      const { url, sql } = yield* setting
      const a = yield* deadlineApp(url)
      const b = yield* deadlineApp(url)
      const orders = Array.from({ length: 40 }, (_, i) => `o${String(i).padStart(2, "0")}`)
      yield* Effect.forEach(orders, (id, i) => (i % 2 === 0 ? a : b).run(place(id, 200 + (i % 5) * 50)), {
        concurrency: 8
      })
      yield* eventually(
        sql,
        "every order to expire",
        Effect.map(
          Effect.forEach(orders, (id) => orderOf(sql, id)),
          (all) => all.every((order) => order?.status === "Expired")
        )
      )
      const handled = yield* deadlinesHandled(sql)
      assert.deepStrictEqual(
        handled.map((h) => [h.key, Number(h.n)]),
        orders.map((id) => [id, 1])
      )
      assert.deepStrictEqual(
        yield* Effect.forEach(orders, (id) => Effect.map(orderOf(sql, id), (o) => o?.deadlinesSeen)),
        orders.map(() => 1)
      )
      yield* eventually(
        sql,
        "the outbox to drain",
        Effect.map(scheduledRows(sql), (r) => r.length === 0)
      )
    })
  )

  it.scopedLive("a timer forwarded again (its delete lost in a crash) is dropped by the inbox", () =>
    Effect.gen(function* () {
      const { url, sql } = yield* setting
      const app = yield* deadlineApp(url)
      yield* app.run(place("d", 200))
      yield* eventually(sql, "the order to expire", status(sql, "d", "Expired"))
      // The relay crashed after the consumer's inbox took the message, before its outbox row was deleted.
      const [fired] = yield* sql.unsafe<{ message_id: string; envelope: unknown }>(
        `SELECT message_id, envelope FROM shop.inbox WHERE type = 'PaymentDeadline' AND key = 'd'`
      )
      yield* sql.unsafe(
        `INSERT INTO shop.outbox (destination, key, message_id, type, envelope, due_at)
         VALUES ('shop', 'd', $1, 'PaymentDeadline', $2::jsonb, now() - interval '1 second')`,
        [fired!.message_id, JSON.stringify(fired!.envelope)]
      )
      yield* app.run(Effect.flatMap(Relay.Relay, (relay) => relay.wake))
      yield* eventually(
        sql,
        "the copy to be forwarded",
        Effect.map(scheduledRows(sql), (r) => r.length === 0)
      )
      assert.deepStrictEqual(
        (yield* deadlinesHandled(sql)).map((h) => [h.key, Number(h.n)]),
        [["d", 1]]
      )
      assert.strictEqual((yield* orderOf(sql, "d"))?.deadlinesSeen, 1)
    })
  )

  it.scopedLive("a consumer that crashes handling a fired timer gets it again, and applies it once", () =>
    Effect.gen(function* () {
      const { url, sql } = yield* setting
      const app = yield* deadlineApp(url)
      yield* app.run(
        Effect.flatMap(Faults.Faults, (faults) =>
          faults.armCrash({ host: "shop", type: "PaymentDeadline" }, 2)
        )
      )
      yield* app.run(place("e", 200))
      yield* eventually(sql, "the order to expire", status(sql, "e", "Expired"))
      assert.deepStrictEqual(
        (yield* deadlinesHandled(sql)).map((h) => [h.key, Number(h.n)]),
        [["e", 1]]
      )
      assert.deepStrictEqual(yield* app.run(Effect.flatMap(Faults.Faults, (f) => f.armed)), [])
    })
  )

  it.scopedLive(
    "a cancel racing the firing: fired first, the deadline is handled before the late payment, which changes nothing",
    () =>
      Effect.gen(function* () {
        const { url, sql } = yield* setting
        const app = yield* deadlineApp(url)
        // The deadline cannot fire before shop's key "f" is held (with 200 ms and a loaded machine it would: the order
        // expires, payments takes the cancel, and the payment below changes nothing).
        yield* holdShopOutbox(app)
        yield* app.run(place("f", 200))
        yield* eventually(
          sql,
          "the deadline to be scheduled",
          Effect.map(scheduledRows(sql), (r) => r.length === 1)
        )
        // Nobody delivers shop's key "f" while held: the deadline falls due and is forwarded into shop's inbox, and
        // the payment is committed by payments, its PaymentReceived queued behind the deadline.
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* Context.get(app.context, Relay.Relay).holdKey("shop", "f")
            yield* releaseShopOutbox(app)
            yield* eventually(
              sql,
              "the payment request",
              Effect.map(paymentOf(sql, "f"), (p) => p?.requested === true)
            )
            yield* eventually(
              sql,
              "the deadline to reach shop's inbox",
              Effect.map(
                sql.unsafe(`SELECT 1 FROM shop.inbox WHERE key = 'f' AND type = 'PaymentDeadline'`),
                (rows) => rows.length === 1
              )
            )
            yield* app.run(pay("f"))
            yield* eventually(
              sql,
              "the payment to reach shop's inbox",
              Effect.map(
                sql.unsafe(`SELECT 1 FROM shop.inbox WHERE key = 'f' AND type = 'PaymentReceived'`),
                (rows) => rows.length === 1
              )
            )
          })
        )
        yield* eventually(
          sql,
          "both to be handled",
          Effect.map(
            sql.unsafe(`SELECT 1 FROM shop.inbox WHERE key = 'f' AND processed_at IS NULL`),
            (rows) => rows.length === 0
          )
        )
        const order = yield* orderOf(sql, "f")
        assert.deepStrictEqual([order?.status, order?.deadlinesSeen], ["Expired", 1])
        assert.deepStrictEqual(yield* paymentOf(sql, "f"), { requested: true, paid: true, cancelled: true })
        const audit = yield* sql.unsafe<{ type: string; cancelled: unknown }>(
          `SELECT message->>'type' AS type, cancelled FROM shop.audit WHERE key = 'f' ORDER BY seq`
        )
        assert.deepStrictEqual(
          audit.map((e) => [e.type, e.cancelled]),
          [
            ["PlaceOrder", null],
            ["PaymentDeadline", null],
            ["PaymentReceived", null]
          ]
        )
      })
  )
})
