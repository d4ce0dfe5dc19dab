import { Deferred, Effect, Exit, type Layer } from "effect"
import * as Application from "../src/commit/Application.js"
import type * as Nation from "../hosts/contracts/Nation.js"
import * as Space from "../hosts/contracts/Space.js"
import * as AccountingHost from "../hosts/accounting/AccountingHost.js"
import * as RondelHost from "../hosts/rondel/RondelHost.js"
import type { GameId } from "../hosts/contracts/GameId.js"
import type { CommitHook } from "./apps.js"
import * as Apps from "./apps.js"
import { bestOf, counterHost, increment, withDatabase } from "./counter.js"
import { type Figure, percentile, vs } from "./report.js"
import { runFor } from "./timing.js"

/** Options of the paid-move flow benchmark. */
export interface FlowOptions {
  readonly quick: boolean
  readonly adminUrl: string
}

/**
 * Complete paid-move flows: Move (distance 4, costs 2M) → Rondel commits MovementAwaitingPayment and sends
 * ChargeMovement → Accounting debits and publishes RondelInvoicePaid → Rondel moves the nation. Timed from the
 * front door (`send`) until Rondel has committed the payment, per game one flow at a time, many games at
 * once; in memory and on PostgreSQL. Baseline: plain host commits (a counter host in the same application).
 */
export const runFlowBench = (options: FlowOptions): Effect.Effect<ReadonlyArray<Figure>, unknown> =>
  Effect.gen(function* () {
    const seconds = options.quick ? 0.5 : 1.5
    const rounds = options.quick ? 1 : 3
    const memory = yield* flows("memory", options.quick ? 16 : 64, seconds, rounds, (definitions, onCommit) =>
      Apps.memory(definitions, { onCommit })
    )
    const pg = yield* withDatabase(options.adminUrl, (url) =>
      flows("pg", 16, seconds, rounds, (definitions, onCommit) =>
        Apps.postgres(url, definitions, { onCommit })
      )
    )
    return [...memory, ...pg]
  })

// internal

const nation: Nation.Nation = "France"

const flows = (
  mode: "memory" | "pg",
  games: number,
  seconds: number,
  rounds: number,
  layer: (
    definitions: ReadonlyArray<
      typeof RondelHost.definition | typeof AccountingHost.definition | typeof counterHost
    >,
    onCommit: CommitHook
  ) => Layer.Layer<Application.Application, unknown>
) => {
  const waiting = new Map<string, Deferred.Deferred<void>>()
  const onCommit: CommitHook = (request) => {
    if (request.host.name === "rondel" && request.consumed.type === "RondelInvoicePaid") {
      const done = waiting.get(request.key)
      if (done !== undefined) {
        waiting.delete(request.key)
        Deferred.unsafeDone(done, Exit.void)
      }
    }
  }
  return Effect.gen(function* () {
    const app = yield* Application.Application
    const rondel = app.host(RondelHost.definition)
    const accounting = app.host(AccountingHost.definition)
    const counter = app.host(counterHost)
    const gameId = (g: number) => `${mode}-game-${g}` as GameId
    const positions = new Map<number, number>()

    // Setup: accounts, starting positions and a free first move to Investor for every game.
    yield* Effect.forEach(
      Array.from({ length: games }, (_, g) => g),
      (g) =>
        Effect.gen(function* () {
          yield* accounting.send({
            _tag: "OpenAccounts",
            gameId: gameId(g),
            nations: [nation],
            startingBalance: 1_000_000_000
          })
          yield* rondel.send({ _tag: "SetToStartingPositions", gameId: gameId(g), nations: [nation] })
          yield* rondel.send({ _tag: "Move", gameId: gameId(g), nation, space: "Investor" })
          positions.set(g, 0)
        }),
      { concurrency: 8, discard: true }
    )
    yield* app.settle({ timeout: "60 seconds" })

    // One paid flow for game g: four spaces clockwise (costs 2M), until Rondel has committed the payment.
    const flow = (g: number) =>
      Effect.gen(function* () {
        const target = ((positions.get(g) ?? 0) + 4) % 8
        const done = yield* Deferred.make<void>()
        waiting.set(gameId(g), done)
        yield* rondel.send({ _tag: "Move", gameId: gameId(g), nation, space: Space.Spaces[target]! })
        yield* Apps.awaitDone(done, `the paid move of ${gameId(g)} to ${Space.Spaces[target]!}`)
        positions.set(g, target)
      })

    // Warm up both paths, then alternate flows and plain commits in short rounds (best rate of each; latency
    // percentiles over every round), so load from other processes falls on both alike.
    yield* runFor(seconds / 4, 1, flow)
    yield* runFor(seconds / 4, 1, () => Apps.ask(counter, increment("c0")))
    let next = 0
    const unloaded: Array<number> = []
    const loaded: Array<number> = []
    const plain: Array<number> = []
    const [rate, plainRate] = (yield* bestOf(rounds, [
      Effect.zipRight(
        // One flow at a time, rotating over the games so no game's history grows much faster than the others.
        runFor(seconds / 2, 1, () => flow(next++ % games), unloaded),
        runFor(seconds, games, flow, loaded)
      ),
      Effect.zipRight(
        runFor(seconds / 2, 1, () => Apps.ask(counter, increment("c0")), plain),
        runFor(seconds, games, (c) => Apps.ask(counter, increment(`c${c}`)))
      )
    ])) as [number, number]

    const label = mode === "memory" ? "memory (direct commit)" : "PostgreSQL (outbox + relay)"
    return [
      vs(
        "flows",
        `flows.${mode}.rate.g${games}`,
        rate,
        "flows/s",
        { name: `counter.${mode}.ask.c${games}/3`, value: plainRate / 3 },
        {
          n: loaded.length,
          note: `${games} games at once, one flow per game at a time, ${label}; baseline: plain host commits at the same concurrency, divided by the 3 commits of a flow`
        }
      ),
      vs(
        "flows",
        `flows.${mode}.latency.p50`,
        percentile(unloaded, 0.5),
        "ms",
        { name: `3×counter.${mode}.ask.p50`, value: 3 * percentile(plain, 0.5) },
        { n: unloaded.length, better: "lower", note: "one game, one flow at a time" }
      ),
      vs(
        "flows",
        `flows.${mode}.latency.p99`,
        percentile(unloaded, 0.99),
        "ms",
        { name: `3×counter.${mode}.ask.p99`, value: 3 * percentile(plain, 0.99) },
        { n: unloaded.length, better: "lower", note: "one game, one flow at a time" }
      ),
      vs(
        "flows",
        `flows.${mode}.loadedLatency.p50.g${games}`,
        percentile(loaded, 0.5),
        "ms",
        { name: `flows.${mode}.latency.p50`, value: percentile(unloaded, 0.5) },
        { n: loaded.length, better: "lower", note: `${games} games at once` }
      ),
      vs(
        "flows",
        `flows.${mode}.loadedLatency.p99.g${games}`,
        percentile(loaded, 0.99),
        "ms",
        { name: `flows.${mode}.latency.p99`, value: percentile(unloaded, 0.99) },
        { n: loaded.length, better: "lower", note: `${games} games at once` }
      )
    ]
  }).pipe(
    Effect.provide(layer([RondelHost.definition, AccountingHost.definition, counterHost], onCommit)),
    Effect.scoped
  )
}
