import { randomUUID } from "node:crypto"
import { ClusterSchema, Entity, SingleRunner, TestRunner } from "@effect/cluster"
import { Rpc } from "@effect/rpc"
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Deferred, Effect, Exit, Layer, Redacted, Schema } from "effect"
import * as Application from "../src/commit/Application.js"
import * as Effects from "../src/commit/Effects.js"
import * as HostDefinition from "../src/commit/HostDefinition.js"
import * as PostgresServer from "../src/pg/PostgresServer.js"
import * as Apps from "./apps.js"
import { type Figure, vs } from "./report.js"
import { runFor } from "./timing.js"

/** Options of the counter comparison. */
export interface CounterOptions {
  readonly quick: boolean
  /** Admin URL of the benchmark's PostgreSQL server (a fresh database is created per measurement). */
  readonly adminUrl: string
}

/**
 * The same counter workload on @effect/cluster and on Mailroom: callers each increment their own counter and
 * wait for the outcome, in memory (cluster's TestRunner vs the direct-commit boundary) and on PostgreSQL
 * (cluster's SingleRunner with SqlMessageStorage vs the outbox boundary).
 */
export const runCounterBench = (options: CounterOptions): Effect.Effect<ReadonlyArray<Figure>, unknown> =>
  Effect.gen(function* () {
    const seconds = options.quick ? 0.5 : 3
    const rounds = options.quick ? 1 : 2
    const concurrencies = [1, 16]
    const figures: Array<Figure> = []

    // Memory: alternate the two sides in each round and keep the best of each.
    for (const c of concurrencies) {
      let cluster = 0
      let mailroom = 0
      for (let r = 0; r < rounds; r++) {
        cluster = Math.max(cluster, yield* clusterMemory(c, seconds))
        mailroom = Math.max(mailroom, yield* mailroomMemory(c, seconds))
      }
      figures.push(
        vs(
          "cluster",
          `counter.memory.c${c}`,
          mailroom,
          "ops/s",
          { name: `cluster.memory.c${c}`, value: cluster },
          {
            target: "> 1× cluster",
            met: mailroom > cluster,
            note: `${c} callers, each increments its own counter and waits for the result; cluster TestRunner (in-memory storage, simulateRemoteSerialization on by default) vs Mailroom host ask on the direct-commit boundary`
          }
        )
      )
    }

    // PostgreSQL: each side on a fresh database of the same server.
    for (const c of concurrencies) {
      let cluster = 0
      let ask = 0
      let submit = 0
      for (let r = 0; r < rounds; r++) {
        cluster = Math.max(
          cluster,
          yield* withDatabase(options.adminUrl, (url) => clusterSql(url, c, seconds))
        )
        ask = Math.max(ask, yield* withDatabase(options.adminUrl, (url) => mailroomPgAsk(url, c, seconds)))
        submit = Math.max(
          submit,
          yield* withDatabase(options.adminUrl, (url) => mailroomPgSubmit(url, c, seconds))
        )
      }
      const baseline = { name: `cluster.sql.c${c}`, value: cluster }
      figures.push(
        vs("cluster", `counter.pg.submit.c${c}`, submit, "ops/s", baseline, {
          target: "> 1× cluster",
          met: submit > cluster,
          note: "Mailroom durable front door: execute() stores the command in the inbox, the relay delivers it, the host commits state + inbox mark; timed until committed. Cluster: persisted Rpc (message and reply in SqlMessageStorage) whose handler upserts the counter row"
        }),
        vs("cluster", `counter.pg.ask.c${c}`, ask, "ops/s", baseline, {
          note: "Mailroom host ask (what the relay does): one transaction with state, audit and inbox mark; the command is not stored before handling"
        })
      )
    }
    return figures
  })

// internal

/** The counter's one command. */
export const Increment = Schema.TaggedStruct("Increment", { counter: Schema.String, by: Schema.Int })
const Incremented = Schema.TaggedStruct("Incremented", { counter: Schema.String, value: Schema.Int })

/** The counter as a Mailroom host: state `{ value }`, one event per increment. */
export const counterHost = HostDefinition.fromSchemas({
  name: "counter",
  state: Schema.Struct({ value: Schema.Int }),
  inbound: Increment,
  events: Incremented,
  keyOf: (message) => message.counter,
  decide: (state, message) => {
    const value = (state?.value ?? 0) + message.by
    return Effects.make({ state: { value }, events: [Incremented.make({ counter: message.counter, value })] })
  }
})

/** The counter as a cluster entity. */
const CounterRpc = Rpc.make("Increment", { payload: { by: Schema.Int }, success: Schema.Int })
const ClusterCounter = Entity.make("Counter", [CounterRpc])
const DurableCounter = Entity.make("DurableCounter", [CounterRpc]).annotateRpcs(ClusterSchema.Persisted, true)

const clusterMemory = (callers: number, seconds: number) =>
  Effect.gen(function* () {
    const makeClient = yield* ClusterCounter.client
    const clients = Array.from({ length: callers }, (_, c) => makeClient(`counter-${c}`))
    yield* Effect.forEach(clients, (client) => client.Increment({ by: 1 }), { discard: true })
    return yield* runFor(seconds, callers, (c) => clients[c]!.Increment({ by: 1 }))
  }).pipe(
    Effect.provide(
      ClusterCounter.toLayer(
        Effect.sync(() => {
          let value = 0
          return { Increment: (request) => Effect.sync(() => (value += request.payload.by)) }
        })
      ).pipe(Layer.provideMerge(TestRunner.layer))
    ),
    Effect.scoped
  )

const clusterSql = (url: string, callers: number, seconds: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS counter_state (id text PRIMARY KEY, value bigint NOT NULL)`
    const makeClient = yield* DurableCounter.client
    const clients = Array.from({ length: callers }, (_, c) => makeClient(`counter-${c}`))
    yield* Effect.forEach(clients, (client) => client.Increment({ by: 1 }), { discard: true })
    return yield* runFor(seconds, callers, (c) => clients[c]!.Increment({ by: 1 }))
  }).pipe(
    Effect.provide(
      DurableCounter.toLayer(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const address = yield* Entity.CurrentAddress
          let value = 0
          return {
            Increment: (request) =>
              Effect.suspend(() => {
                value += request.payload.by
                return Effect.as(
                  sql`INSERT INTO counter_state (id, value) VALUES (${address.entityId}, ${value})
                      ON CONFLICT (id) DO UPDATE SET value = excluded.value`,
                  value
                )
              }).pipe(Effect.orDie)
          }
        })
      ).pipe(
        Layer.provideMerge(SingleRunner.layer({ runnerStorage: "memory" })),
        Layer.provideMerge(pgClient(url))
      )
    ),
    Effect.scoped
  )

const mailroomMemory = (callers: number, seconds: number) =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const host = app.host(counterHost)
    const message = (c: number) => Increment.make({ counter: `counter-${c}`, by: 1 })
    yield* Effect.forEach(
      Array.from({ length: callers }, (_, c) => c),
      (c) => Apps.ask(host, message(c)),
      {
        discard: true
      }
    )
    return yield* runFor(seconds, callers, (c) => Apps.ask(host, message(c)))
  }).pipe(Effect.provide(Apps.memory([counterHost])), Effect.scoped)

const mailroomPgAsk = (url: string, callers: number, seconds: number) =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const host = app.host(counterHost)
    const message = (c: number) => Increment.make({ counter: `counter-${c}`, by: 1 })
    yield* Effect.forEach(
      Array.from({ length: callers }, (_, c) => c),
      (c) => Apps.ask(host, message(c)),
      {
        discard: true
      }
    )
    return yield* runFor(seconds, callers, (c) => Apps.ask(host, message(c)))
  }).pipe(Effect.provide(Apps.postgres(url, [counterHost])), Effect.scoped)

const mailroomPgSubmit = (url: string, callers: number, seconds: number) => {
  const waiting = new Map<string, Deferred.Deferred<void>>()
  return Effect.gen(function* () {
    const app = yield* Application.Application
    const host = app.host(counterHost)
    const increment = (c: number) =>
      Effect.gen(function* () {
        const messageId = randomUUID()
        const done = yield* Deferred.make<void>()
        waiting.set(messageId, done)
        yield* host.execute(Increment.make({ counter: `counter-${c}`, by: 1 }), { messageId })
        yield* Deferred.await(done)
      })
    yield* Effect.forEach(
      Array.from({ length: callers }, (_, c) => c),
      increment,
      { discard: true }
    )
    return yield* runFor(seconds, callers, increment)
  }).pipe(
    Effect.provide(
      Apps.postgres(url, [counterHost], {
        onCommit: (request) => {
          const done = waiting.get(request.consumed.messageId)
          if (done !== undefined) {
            waiting.delete(request.consumed.messageId)
            Deferred.unsafeDone(done, Exit.void)
          }
        }
      })
    ),
    Effect.scoped
  )
}

/** Runs `f` against a fresh database of the server, dropped afterwards. */
export const withDatabase = <A, E>(adminUrl: string, f: (url: string) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(PostgresServer.createDatabase(adminUrl), ({ url }) => f(url)))

/** An @effect/sql-pg client (what cluster's SQL storage runs on). */
const pgClient = (url: string) =>
  PgClient.layer({ url: Redacted.make(url), maxConnections: 16, applicationName: "mailroom-bench-cluster" })
