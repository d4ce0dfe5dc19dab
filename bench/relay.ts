import { Deferred, Effect, Exit, Schema } from "effect"
import * as Application from "../src/commit/Application.js"
import * as Effects from "../src/commit/Effects.js"
import * as HostDefinition from "../src/commit/HostDefinition.js"
import * as Apps from "./apps.js"
import * as PostgresServer from "../src/pg/PostgresServer.js"
import * as RawPg from "./rawPg.js"
import { type Figure, percentile, vs } from "./report.js"

/** Options of the relay latency benchmark. */
export interface RelayOptions {
  readonly quick: boolean
  readonly adminUrl: string
}

/**
 * Relay latency: from the producer's commit to the consumer having handled and committed the message, one
 * message at a time, woken by LISTEN/NOTIFY and then by polling alone. Baseline: a raw node-postgres hand-off of
 * the same shape (a row inserted with NOTIFY; the listener, once notified, upserts its state).
 */
export const runRelayBench = (options: RelayOptions): Effect.Effect<ReadonlyArray<Figure>, unknown> =>
  Effect.gen(function* () {
    const n = options.quick ? 50 : 400
    const pollN = options.quick ? 4 : 24
    const database = Effect.map(PostgresServer.createDatabase(options.adminUrl), ({ url }) => url)
    // Raw and relay samples alternate, so a burst of load from other processes hits both alike.
    const rawSample = yield* Effect.flatMap(database, rawHandOff)
    const relaySample = yield* Effect.flatMap(database, (url) => relay(url, true))
    const classicSample = yield* Effect.flatMap(database, (url) => relay(url, true, false))
    const raw: Array<number> = []
    const notify: Array<number> = []
    const classic: Array<number> = []
    for (let i = 0; i < n + 10; i++) {
      const r = yield* rawSample
      const m = yield* relaySample(i)
      const l = yield* classicSample(i)
      if (i >= 10) {
        raw.push(r)
        notify.push(m)
        classic.push(l)
      }
    }
    const pollSample = yield* Effect.flatMap(database, (url) => relay(url, false, false))
    yield* pollSample(0)
    const poll: Array<number> = []
    for (let i = 0; i < pollN; i++) poll.push(yield* pollSample(i))
    const rawP50 = percentile(raw, 0.5)
    const rawP99 = percentile(raw, 0.99)
    const p50 = percentile(notify, 0.5)
    const p99 = percentile(notify, 0.99)
    const note =
      "default settings, one message at a time: ping host commits an event straight into pong's inbox (inline relay) → the relay delivers it to pong host → pong commits"
    return [
      vs(
        "relay",
        "relay.notify.p50",
        p50,
        "ms",
        { name: "raw.notifyHandOff.p50", value: rawP50 },
        { n, better: "lower", target: "< 2 ms", met: p50 < 2, note }
      ),
      vs(
        "relay",
        "relay.notify.p99",
        p99,
        "ms",
        { name: "raw.notifyHandOff.p99", value: rawP99 },
        { n, better: "lower", target: "< 20 ms", met: p99 < 20, note }
      ),
      vs(
        "relay",
        "relay.classic.p50",
        percentile(classic, 0.5),
        "ms",
        { name: "raw.notifyHandOff.p50", value: rawP50 },
        {
          n,
          better: "lower",
          note: "handover: false: ping commits an outbox row → the relay forwards it into pong's inbox (pong's transaction) → delivers"
        }
      ),
      vs(
        "relay",
        "relay.classic.p99",
        percentile(classic, 0.99),
        "ms",
        { name: "raw.notifyHandOff.p99", value: rawP99 },
        { n, better: "lower", note: "handover: false" }
      ),
      vs(
        "relay",
        "relay.pollOnly.p50",
        percentile(poll, 0.5),
        "ms",
        { name: "relay.notify.p50", value: p50 },
        {
          n: pollN,
          better: "lower",
          note: "listen: false, default pollInterval 250 ms (the delivery loop polls)"
        }
      ),
      vs(
        "relay",
        "relay.pollOnly.p99",
        percentile(poll, 0.99),
        "ms",
        { name: "relay.notify.p99", value: p99 },
        { n: pollN, better: "lower", note: "listen: false, default pollInterval 250 ms" }
      )
    ]
  }).pipe(Effect.scoped)

// internal

const Ping = Schema.TaggedStruct("Ping", { key: Schema.String })
const Pinged = Schema.TaggedStruct("Pinged", { key: Schema.String })

const ping = HostDefinition.fromSchemas({
  name: "ping",
  state: Schema.Struct({ n: Schema.Int }),
  inbound: Ping,
  events: Pinged,
  keyOf: (message) => message.key,
  decide: (state, message) =>
    Effects.make({ state: { n: (state?.n ?? 0) + 1 }, events: [Pinged.make({ key: message.key })] })
})

const pong = HostDefinition.fromSchemas({
  name: "pong",
  state: Schema.Struct({ n: Schema.Int }),
  inbound: Pinged,
  keyOf: (message) => message.key,
  decide: (state) => Effects.make({ state: { n: (state?.n ?? 0) + 1 } })
})

/** Starts ping and pong on the relay; each call of the returned function times one hand-off (ms). */
const relay = (url: string, listen: boolean, handover?: boolean) =>
  Effect.gen(function* () {
    const committed = new Map<string, number>()
    const waiting = new Map<string, { readonly done: Deferred.Deferred<number> }>()
    const run = yield* Apps.started(
      Apps.postgres(url, [ping, pong], {
        listen,
        ...(handover === undefined ? {} : { handover }),
        onCommit: (request) => {
          const now = performance.now()
          if (request.host.name === "ping") committed.set(request.consumed.messageId, now)
          else {
            const entry = waiting.get(request.consumed.causationId)
            if (entry !== undefined) {
              waiting.delete(request.consumed.causationId)
              Deferred.unsafeDone(entry.done, Exit.succeed(now))
            }
          }
        }
      })
    )
    const host = (yield* run(Application.Application)).host(ping)
    return (i: number) =>
      Effect.gen(function* () {
        const envelope = Apps.envelopeFor(host, Ping.make({ key: `k${i % 8}` }))
        const done = yield* Deferred.make<number>()
        waiting.set(envelope.messageId, { done })
        yield* host.actor.ask(envelope.key, envelope)
        const handledAt = yield* Deferred.await(done)
        const committedAt = committed.get(envelope.messageId)!
        committed.delete(envelope.messageId)
        return handledAt - committedAt
      })
  })

/**
 * A raw hand-off on node-postgres: a writer commits a row with NOTIFY; the listener, once notified, upserts its
 * state on a third connection. Each run of the returned effect times one hand-off (ms), from the writer's commit.
 */
const rawHandOff = (url: string) =>
  Effect.gen(function* () {
    const pool = RawPg.pool(url, 4)
    yield* Effect.addFinalizer(() => Effect.promise(() => pool.end()))
    const setup = yield* Effect.promise(async () => {
      await pool.query(
        "CREATE TABLE outbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL); CREATE TABLE state (key text PRIMARY KEY, n bigint NOT NULL)"
      )
      const listener = await pool.connect()
      const writer = await pool.connect()
      const consumer = await pool.connect()
      await listener.query("LISTEN bench_handoff")
      return { listener, writer, consumer }
    })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        setup.listener.release()
        setup.writer.release()
        setup.consumer.release()
      })
    )
    let wake: (() => void) | undefined
    setup.listener.on("notification", () => {
      setup.consumer
        .query("INSERT INTO state (key, n) VALUES ('k', 1) ON CONFLICT (key) DO UPDATE SET n = state.n + 1")
        .then(() => wake?.())
    })
    return Effect.promise(async () => {
      const handled = new Promise<number>((resolve) => {
        wake = () => resolve(performance.now())
      })
      await setup.writer.query(
        `WITH o AS (INSERT INTO outbox (payload) VALUES ($1::jsonb) RETURNING id) SELECT pg_notify('bench_handoff', 'x') FROM o`,
        [JSON.stringify({ at: Date.now() })]
      )
      const committedAt = performance.now()
      return Math.max(0, (await handled) - committedAt)
    })
  })
