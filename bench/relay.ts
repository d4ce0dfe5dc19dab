import { Deferred, Effect, Exit, Redacted, Schema } from "effect"
import * as Application from "../src/commit/Application.js"
import * as Decision from "../src/commit/Decision.js"
import * as HostDefinition from "../src/commit/HostDefinition.js"
import * as Apps from "./apps.js"
import * as Embedded from "../src/pg/internal/embeddedServer.js"
import * as Placement from "../src/pg/Placement.js"
import * as PostgresServer from "../src/pg/testing/PostgresServer.js"
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
    // A second server of the same kind for pong (durability on, like the first): two contexts, two servers.
    const second = yield* Effect.orDie(
      Embedded.start(
        { settings: { fsync: "on", synchronous_commit: "on", full_page_writes: "on" } },
        (line) => console.error(`[postgres] ${line}`)
      )
    )
    const secondDatabase = Effect.map(PostgresServer.createDatabase(second.url), ({ url }) => url)
    const oneServer = Effect.map(database, (url) => Placement.single(url))
    const twoServers = Effect.map(Effect.zip(database, secondDatabase), ([a, b]) => ({
      hosts: { ping: Redacted.make(a), pong: Redacted.make(b) }
    }))
    // Raw and relay samples alternate, so a burst of load from other processes hits both alike.
    const rawSample = yield* Effect.flatMap(database, rawHandOff)
    const samples = {
      handover: yield* Effect.flatMap(oneServer, (p) => relay(p, true)),
      handoverTwo: yield* Effect.flatMap(twoServers, (p) => relay(p, true)),
      forward: yield* Effect.flatMap(oneServer, (p) => relay(p, true, false)),
      forwardTwo: yield* Effect.flatMap(twoServers, (p) => relay(p, true, false))
    }
    const raw: Array<number> = []
    const times = {
      handover: [] as Array<number>,
      handoverTwo: [] as Array<number>,
      forward: [] as Array<number>,
      forwardTwo: [] as Array<number>
    }
    for (let i = 0; i < n + 10; i++) {
      const r = yield* rawSample
      const measured = {
        handover: yield* samples.handover(i),
        handoverTwo: yield* samples.handoverTwo(i),
        forward: yield* samples.forward(i),
        forwardTwo: yield* samples.forwardTwo(i)
      }
      if (i >= 10) {
        raw.push(r)
        for (const key of Object.keys(times) as Array<keyof typeof times>) times[key].push(measured[key])
      }
    }
    const pollSample = yield* Effect.flatMap(oneServer, (p) => relay(p, false, false))
    yield* pollSample(0)
    const poll: Array<number> = []
    for (let i = 0; i < pollN; i++) poll.push(yield* pollSample(i))
    const rawP50 = percentile(raw, 0.5)
    const rawP99 = percentile(raw, 0.99)
    const handoverNote =
      "default settings, one message at a time: ping commits an event into its own outbox → handed to pong in this process → pong's transaction records and handles it → ping's outbox row marked"
    const forwardNote =
      "handover: false (as to a consumer in another process): ping commits into its outbox → the relay forwards it into pong's inbox (pong's database and transaction) → pong's delivery loop → pong commits"
    const figure = (
      name: string,
      values: ReadonlyArray<number>,
      q: number,
      baseline: { readonly name: string; readonly value: number },
      extra: { readonly target?: string; readonly met?: boolean; readonly note: string; readonly n?: number }
    ) =>
      vs("relay", name, percentile(values, q), "ms", baseline, {
        n: extra.n ?? n,
        better: "lower",
        note: extra.note,
        ...(extra.target === undefined ? {} : { target: extra.target, met: extra.met })
      })
    const rawBase50 = { name: "raw.notifyHandOff.p50", value: rawP50 }
    const rawBase99 = { name: "raw.notifyHandOff.p99", value: rawP99 }
    const p = (values: ReadonlyArray<number>, q: number) => percentile(values, q)
    return [
      figure("relay.notify.p50", times.handover, 0.5, rawBase50, {
        target: "< 2 ms",
        met: p(times.handover, 0.5) < 2,
        note: `one server; ${handoverNote}`
      }),
      figure("relay.notify.p99", times.handover, 0.99, rawBase99, {
        target: "< 20 ms",
        met: p(times.handover, 0.99) < 20,
        note: "one server"
      }),
      figure("relay.notify.twoServers.p50", times.handoverTwo, 0.5, rawBase50, {
        target: "< 3 ms",
        met: p(times.handoverTwo, 0.5) < 3,
        note: `ping and pong on two servers; ${handoverNote}`
      }),
      figure("relay.notify.twoServers.p99", times.handoverTwo, 0.99, rawBase99, {
        target: "< 20 ms",
        met: p(times.handoverTwo, 0.99) < 20,
        note: "two servers"
      }),
      figure("relay.forward.p50", times.forward, 0.5, rawBase50, { note: `one server; ${forwardNote}` }),
      figure("relay.forward.p99", times.forward, 0.99, rawBase99, { note: "one server; handover: false" }),
      figure("relay.forward.twoServers.p50", times.forwardTwo, 0.5, rawBase50, {
        note: `two servers; ${forwardNote}`
      }),
      figure("relay.forward.twoServers.p99", times.forwardTwo, 0.99, rawBase99, {
        note: "two servers; handover: false"
      }),
      figure(
        "relay.pollOnly.p50",
        poll,
        0.5,
        { name: "relay.notify.p50", value: p(times.handover, 0.5) },
        {
          n: pollN,
          note: "listen: false, handover: false, default pollInterval 250 ms (the loops poll)"
        }
      ),
      figure(
        "relay.pollOnly.p99",
        poll,
        0.99,
        { name: "relay.notify.p99", value: p(times.handover, 0.99) },
        {
          n: pollN,
          note: "listen: false, handover: false, default pollInterval 250 ms"
        }
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
    Decision.make({ state: { n: (state?.n ?? 0) + 1 }, events: [Pinged.make({ key: message.key })] })
})

const pong = HostDefinition.fromSchemas({
  name: "pong",
  state: Schema.Struct({ n: Schema.Int }),
  inbound: Pinged,
  keyOf: (message) => message.key,
  decide: (state) => Decision.make({ state: { n: (state?.n ?? 0) + 1 } })
})

/** Starts ping and pong on the relay; each call of the returned function times one hand-off (ms). */
const relay = (placement: Placement.Placement, listen: boolean, handover?: boolean) =>
  Effect.gen(function* () {
    const committed = new Map<string, number>()
    const waiting = new Map<string, { readonly done: Deferred.Deferred<number> }>()
    const run = yield* Apps.started(
      Apps.postgresPlaced(placement, [ping, pong], {
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
