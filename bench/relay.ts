import { Deferred, Effect, Exit, Schema } from "effect"
import * as Application from "../src/commit/Application.js"
import * as Effects from "../src/commit/Effects.js"
import * as HostDefinition from "../src/commit/HostDefinition.js"
import * as Apps from "./apps.js"
import { withDatabase } from "./counter.js"
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
    const raw = yield* withDatabase(options.adminUrl, (url) => rawHandOff(url, n))
    const notify = yield* withDatabase(options.adminUrl, (url) => relayLatency(url, n, true))
    const poll = yield* withDatabase(options.adminUrl, (url) => relayLatency(url, pollN, false))
    const rawP50 = percentile(raw, 0.5)
    const rawP99 = percentile(raw, 0.99)
    const p50 = percentile(notify, 0.5)
    const p99 = percentile(notify, 0.99)
    const note =
      "one message at a time: ping host commits an event → relay moves outbox → inbox → delivers to pong host → pong commits"
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
        "relay.pollOnly.p50",
        percentile(poll, 0.5),
        "ms",
        { name: "relay.notify.p50", value: p50 },
        {
          n: pollN,
          better: "lower",
          note: "listen: false, default pollInterval 250 ms (two loops: move, deliver)"
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
  })

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

/** Latencies (ms) of n sequential ping → pong hand-offs through the relay. */
const relayLatency = (url: string, n: number, listen: boolean) => {
  const committed = new Map<string, number>()
  const waiting = new Map<string, { readonly done: Deferred.Deferred<void>; at?: number }>()
  return Effect.gen(function* () {
    const app = yield* Application.Application
    const host = app.host(ping)
    const samples: Array<number> = []
    const once = (i: number) =>
      Effect.gen(function* () {
        const envelope = Apps.envelopeFor(host, Ping.make({ key: `k${i % 8}` }))
        const entry = { done: yield* Deferred.make<void>() }
        waiting.set(envelope.messageId, entry)
        yield* host.actor.ask(envelope.key, envelope)
        yield* Deferred.await(entry.done)
        return (entry as { at?: number }).at! - committed.get(envelope.messageId)!
      })
    // Warm up (connections, prepared plans, caches), then measure.
    for (let i = 0; i < Math.min(10, n); i++) yield* once(i)
    for (let i = 0; i < n; i++) samples.push(yield* once(i))
    return samples
  }).pipe(
    Effect.provide(
      Apps.postgres(url, [ping, pong], {
        relay: { listen },
        onCommit: (request) => {
          const now = performance.now()
          if (request.host.name === "ping") committed.set(request.consumed.messageId, now)
          else {
            const entry = waiting.get(request.consumed.causationId) as
              | { readonly done: Deferred.Deferred<void>; at?: number }
              | undefined
            if (entry !== undefined) {
              waiting.delete(request.consumed.causationId)
              entry.at = now
              Deferred.unsafeDone(entry.done, Exit.void)
            }
          }
        }
      })
    ),
    Effect.scoped
  )
}

/** Latencies (ms) of n raw hand-offs: INSERT + NOTIFY committed, then the notified listener upserts its state. */
const rawHandOff = (url: string, n: number) =>
  Effect.promise(async () => {
    const pool = RawPg.pool(url, 4)
    try {
      await pool.query(
        "CREATE TABLE outbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL); CREATE TABLE state (key text PRIMARY KEY, n bigint NOT NULL)"
      )
      const listener = await pool.connect()
      const writer = await pool.connect()
      const consumer = await pool.connect()
      let wake: (() => void) | undefined
      listener.on("notification", () => {
        consumer
          .query("INSERT INTO state (key, n) VALUES ('k', 1) ON CONFLICT (key) DO UPDATE SET n = state.n + 1")
          .then(() => wake?.())
      })
      await listener.query("LISTEN bench_handoff")
      const samples: Array<number> = []
      for (let i = 0; i < n + 10; i++) {
        const handled = new Promise<void>((resolve) => {
          wake = resolve
        })
        await writer.query(
          `WITH o AS (INSERT INTO outbox (payload) VALUES ($1::jsonb) RETURNING id) SELECT pg_notify('bench_handoff', 'x') FROM o`,
          [JSON.stringify({ i })]
        )
        const t0 = performance.now()
        await handled
        if (i >= 10) samples.push(performance.now() - t0)
      }
      listener.release()
      writer.release()
      consumer.release()
      return samples
    } finally {
      await pool.end()
    }
  })
