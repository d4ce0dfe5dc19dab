import { randomUUID } from "node:crypto"
import { Effect, Schema } from "effect"
import * as Application from "../src/commit/Application.js"
import { CommitBoundary } from "../src/commit/CommitBoundary.js"
import * as Decision from "../src/commit/Decision.js"
import * as HostDefinition from "../src/commit/HostDefinition.js"
import * as MessageIds from "../src/commit/MessageIds.js"
import * as Envelope from "../src/runtime/Envelope.js"
import * as Apps from "./apps.js"
import { bestOf, withDatabase } from "./counter.js"
import * as RawPg from "./rawPg.js"
import { base, type Figure, vs } from "./report.js"
import { runFor } from "./timing.js"

/** Options of the durable commit benchmark. */
export interface DurableOptions {
  readonly quick: boolean
  readonly adminUrl: string
}

/**
 * Durable host commits per second at concurrency 1, 4 and 16 (each caller its own key; every commit writes the
 * state and two outbox rows), against a hand-written node-postgres transaction of the same shape on the same
 * database. Both write only their own context's tables. The relay is idle (no handover, no wake-ups, hour-long poll)
 * so only the write path is measured.
 */
export const runDurableBench = (options: DurableOptions): Effect.Effect<ReadonlyArray<Figure>, unknown> =>
  withDatabase(options.adminUrl, (url) =>
    Effect.gen(function* () {
      const seconds = options.quick ? 0.5 : 1.25
      const rounds = options.quick ? 1 : 4
      const app = yield* Application.Application
      const boundary = yield* CommitBoundary
      const host = app.host(producer)
      const pool = RawPg.pool(url, 16)
      yield* Effect.addFinalizer(() => Effect.promise(() => pool.end()))
      yield* Effect.promise(() => pool.query(rawSchema))

      const figures: Array<Figure> = []
      for (const c of [1, 4, 16]) {
        const versions = new Map<string, number>()
        const key = (side: string, i: number) => `${side}-c${c}-${i}`
        const best = yield* bestOf(rounds, [
          runFor(seconds, c, (i) => rawTxn(pool, key("raw", i))),
          runFor(seconds, c, (i) => Apps.ask(host, Produce.make({ key: key("host", i) }))),
          runFor(seconds, c, (i) => {
            const k = key("direct", i)
            return Effect.map(boundary.commit(request(k, versions.get(k) ?? 0)), (report) => {
              versions.set(k, report.version)
            })
          }),
          runFor(seconds, c, (i) => rawCte(pool, key("cte", i)))
        ])
        const [raw, hosted, direct, cte] = best as [number, number, number, number]
        const baseline = { name: `raw.txn.c${c}`, value: raw }
        figures.push(
          base("durable", `raw.txn.c${c}`, raw, "txn/s", {
            note: "node-postgres pool: BEGIN; upsert state; insert 2 outbox rows; COMMIT (4 round trips)"
          }),
          vs("durable", `durable.host.c${c}`, hosted, "commits/s", baseline, {
            ...(c === 4 ? { target: "≥ 0.9× raw txn", met: hosted >= 0.9 * raw } : {}),
            note: "host ask: decode, load (cached), decide, group commit (state, audit entry, inbox mark and 2 outbox rows, all in the host's own schema)"
          }),
          vs("durable", `durable.boundaryCommit.c${c}`, direct, "commits/s", baseline, {
            note: "CommitBoundary.commit called directly (no actor, no decode/decide): the write path alone"
          }),
          vs("durable", `raw.cte.c${c}`, cte, "txn/s", baseline, {
            note: "node-postgres: the same writes as one autocommit statement (1 round trip), a stronger raw baseline"
          })
        )
      }

      // Write volume per commit: WAL bytes are independent of load, so they explain the rates above. The WAL is
      // shared by the whole server (other databases write too), so each side keeps its smallest of a few tries.
      const n = options.quick ? 100 : 300
      let walHost = Number.POSITIVE_INFINITY
      let walRaw = Number.POSITIVE_INFINITY
      for (let t = 0; t < 3; t++) {
        const a = yield* walPosition(pool)
        for (let i = 0; i < n; i++) yield* Apps.ask(host, Produce.make({ key: `wal-host-${i % 16}` }))
        const b = yield* walPosition(pool)
        for (let i = 0; i < n; i++) yield* rawTxn(pool, `wal-raw-${i % 16}`)
        const c = yield* walPosition(pool)
        walHost = Math.min(walHost, (b - a) / n)
        walRaw = Math.min(walRaw, (c - b) / n)
      }
      figures.push(
        vs(
          "durable",
          "durable.walBytesPerCommit",
          walHost,
          "bytes",
          { name: "raw.walBytesPerTxn", value: walRaw },
          {
            n,
            better: "lower",
            note: "WAL written per commit, one at a time: Mailroom writes state, audit (message, events, commands), the inbox mark and 2 outbox rows; raw writes state and 2 outbox rows"
          }
        )
      )
      return figures
    }).pipe(
      Effect.provide(
        Apps.postgres(url, [producer, sink], {
          listen: false,
          handover: false,
          relay: { pollInterval: "1 hour", forward: false },
          maxConnections: 20
        })
      ),
      Effect.scoped
    )
  )

// internal

const Produce = Schema.TaggedStruct("Produce", { key: Schema.String })
const Produced = Schema.TaggedStruct("Produced", { key: Schema.String, n: Schema.Int, part: Schema.Int })

/** A host whose every commit is the measured shape: its state plus two outbox rows (two events to `sink`). */
const producer = HostDefinition.fromSchemas({
  name: "producer",
  state: Schema.Struct({ n: Schema.Int }),
  inbound: Produce,
  events: Produced,
  keyOf: (message) => message.key,
  decide: (state, message) => {
    const n = (state?.n ?? 0) + 1
    return Decision.make({
      state: { n },
      events: [
        Produced.make({ key: message.key, n, part: 1 }),
        Produced.make({ key: message.key, n, part: 2 })
      ]
    })
  }
})

/** The consumer of the producer's events (it only gives them a destination; the relay is idle here). */
const sink = HostDefinition.fromSchemas({
  name: "sink",
  state: Schema.Struct({ n: Schema.Int }),
  inbound: Produced,
  keyOf: (message) => message.key,
  decide: () => Decision.none
})

const envelope = (key: string, type: string, payload: unknown): Envelope.Envelope =>
  Envelope.make(randomUUID() as Envelope.MessageId, key, { type, version: 1, payload }, Date.now())

/** A commit request of the measured shape, built without the host (for the write path alone). */
const request = (key: string, expectedVersion: number) => {
  const consumed = envelope(key, "Produce", { key })
  const n = expectedVersion + 1
  return {
    host: producer,
    key,
    consumed,
    expectedVersion,
    state: { n },
    events: [1, 2].map((part) =>
      Envelope.causedBy(
        consumed,
        MessageIds.derive(consumed.messageId, part - 1),
        key,
        { type: "Produced", version: 1, payload: { key, n, part } },
        Date.now()
      )
    ),
    commands: []
  }
}

const rawSchema = `
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.state (
  key text PRIMARY KEY, version bigint NOT NULL, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS raw.outbox (
  id bigserial PRIMARY KEY, destination text NOT NULL, key text NOT NULL, message_id text NOT NULL, type text NOT NULL,
  envelope jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), attempts integer NOT NULL DEFAULT 0,
  last_error text, delivered_at timestamptz, parked_at timestamptz, UNIQUE (destination, message_id));
CREATE INDEX IF NOT EXISTS outbox_pending ON raw.outbox (id) WHERE delivered_at IS NULL AND parked_at IS NULL;`

const upsert = `INSERT INTO raw.state (key, version, state) VALUES ($1, 1, $2::jsonb)
  ON CONFLICT (key) DO UPDATE SET version = raw.state.version + 1, state = excluded.state, updated_at = now()`
const insertOutbox = `INSERT INTO raw.outbox (destination, key, message_id, type, envelope)
  VALUES ('sink', $1, $2, 'Produced', $3::jsonb), ('sink', $1, $4, 'Produced', $5::jsonb)`

const outboxValues = (key: string) => {
  const a = envelope(key, "Produced", { key, n: 1, part: 1 })
  const b = envelope(key, "Produced", { key, n: 1, part: 2 })
  return [a.messageId, JSON.stringify(a), b.messageId, JSON.stringify(b)]
}

/** The baseline transaction: four round trips on one pooled connection. */
const rawTxn = (pool: RawPg.PgPool, key: string) =>
  Effect.promise(async () => {
    const client = await pool.connect()
    try {
      await client.query("BEGIN")
      await client.query(upsert, [key, JSON.stringify({ n: 1 })])
      await client.query(insertOutbox, [key, ...outboxValues(key)])
      await client.query("COMMIT")
    } finally {
      client.release()
    }
  })

/** The server's current WAL insert position, in bytes. */
const walPosition = (pool: RawPg.PgPool) =>
  Effect.promise(async () => {
    const result = await pool.query("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS at")
    return Number(result.rows[0]!.at)
  })

/** The same writes as one statement (autocommit, one round trip). */
const rawCte = (pool: RawPg.PgPool, key: string) =>
  Effect.promise(() => pool.query(cte, [key, JSON.stringify({ n: 1 }), ...outboxValues(key)]))

const cte = `WITH s AS (
    INSERT INTO raw.state (key, version, state) VALUES ($1, 1, $2::jsonb)
    ON CONFLICT (key) DO UPDATE SET version = raw.state.version + 1, state = excluded.state, updated_at = now()
    RETURNING 1)
  INSERT INTO raw.outbox (destination, key, message_id, type, envelope)
  VALUES ('sink', $1, $3, 'Produced', $4::jsonb), ('sink', $1, $5, 'Produced', $6::jsonb)`
