import * as v8 from "node:v8"
import * as vm from "node:vm"
import { Duration, Effect, type Layer } from "effect"
import * as Application from "../src/commit/Application.js"
import * as AccountingHost from "../hosts/accounting/AccountingHost.js"
import type { GameId } from "../hosts/contracts/GameId.js"
import type * as Nation from "../hosts/contracts/Nation.js"
import * as Space from "../hosts/contracts/Space.js"
import * as RondelHost from "../hosts/rondel/RondelHost.js"
import * as Apps from "./apps.js"
import { withDatabase } from "./counter.js"
import { type Figure, vs } from "./report.js"

/** Options of the scaling benchmark. */
export interface ScaleOptions {
  readonly quick: boolean
  readonly adminUrl: string
}

/**
 * How cost grows with work, on the in-memory boundary: 1, 100 and 10,000 games set up at once (memory per idle
 * game with its actors alive, then after passivation, and the fibers left), then free moves on every game at
 * once (throughput, waking the passivated games). One more level runs on PostgreSQL.
 */
export const runScaleBench = (options: ScaleOptions): Effect.Effect<ReadonlyArray<Figure>, unknown> =>
  Effect.gen(function* () {
    const levels = options.quick ? [1, 100, 1_000] : [1, 100, 10_000]
    const totalMoves = options.quick ? 4_000 : 40_000
    const idle = options.quick ? Duration.seconds(1) : Duration.seconds(8)
    const results: Array<Level> = []
    const memoryApp = Apps.memory([RondelHost.definition, AccountingHost.definition], {
      host: () => ({ idleTimeout: idle })
    })
    for (const games of levels) results.push(yield* level(games, totalMoves, idle, memoryApp))
    const pgGames = options.quick ? 100 : 2_000
    const pg = yield* withDatabase(options.adminUrl, (url) =>
      level(
        pgGames,
        pgGames * 2,
        idle,
        Apps.postgres(url, [RondelHost.definition, AccountingHost.definition], {
          host: () => ({ idleTimeout: idle })
        })
      )
    )
    const one = results[0]!
    const largest = results[results.length - 1]!
    const figures: Array<Figure> = results.flatMap(
      (r): Array<Figure> => [
        vs(
          "scale",
          `scale.g${r.games}.moves`,
          r.rate,
          "moves/s",
          { name: `scale.g${one.games}.moves`, value: one.rate },
          {
            n: r.moves,
            note: `${r.games} games moving at once (${Math.round(r.moves / r.games)} free moves each, one at a time per game; the games were passivated before and are woken)`
          }
        ),
        vs(
          "scale",
          `scale.g${r.games}.fibersPassivated`,
          r.passivatedWorkers,
          "fibers",
          { name: `scale.g${r.games}.fibersIdle`, value: r.idleWorkers },
          {
            better: "lower",
            note: `worker fibers after every game sat idle past idleTimeout, vs while the ${r.games} set-up games were idle but alive`
          }
        )
      ]
    )
    // Heap deltas are only meaningful with many games: one game is well below the noise of a full GC.
    figures.push(
      vs(
        "scale",
        `scale.g${largest.games}.idleGameBytes`,
        largest.idleBytes,
        "bytes/game",
        { name: `scale.g${largest.games}.passivatedGameBytes`, value: largest.passivatedBytes },
        {
          n: largest.games,
          better: "lower",
          target: "bounded",
          met: largest.passivatedWorkers === 0 && largest.idleBytes < 64 * 1024,
          note: `heap per set-up game while its two actor children (rondel, accounting) are alive but idle (${largest.activeKeys} live keys); includes its state and audit entries`
        }
      ),
      vs(
        "scale",
        `scale.g${largest.games}.passivatedGameBytes`,
        largest.passivatedBytes,
        "bytes/game",
        { name: `scale.g${largest.games}.stateJsonBytes`, value: largest.stateBytes },
        {
          n: largest.games,
          better: "lower",
          note: "heap per game once every child is passivated: its state and in-memory audit entries (3 commits); baseline: the two states as JSON"
        }
      )
    )
    figures.push(
      vs(
        "scale",
        `scale.pg.g${pg.games}.moves`,
        pg.rate,
        "moves/s",
        { name: `scale.g${largest.games}.moves`, value: largest.rate },
        {
          n: pg.moves,
          note: `PostgreSQL boundary, ${pg.games} games moving at once (2 free moves each, host ask: one commit per move), after passivation`
        }
      ),
      vs(
        "scale",
        `scale.pg.g${pg.games}.fibersPassivated`,
        pg.passivatedWorkers,
        "fibers",
        { name: `scale.pg.g${pg.games}.fibersIdle`, value: pg.idleWorkers },
        {
          better: "lower",
          note: "PostgreSQL boundary: worker fibers after passivation vs while idle but alive"
        }
      ),
      vs(
        "scale",
        `scale.pg.g${pg.games}.idleGameBytes`,
        pg.idleBytes,
        "bytes/game",
        { name: `scale.pg.g${pg.games}.passivatedGameBytes`, value: pg.passivatedBytes },
        {
          n: pg.games,
          better: "lower",
          note: "PostgreSQL boundary: heap per set-up game with its children alive (state lives in the database)"
        }
      ),
      vs(
        "scale",
        `scale.pg.g${pg.games}.passivatedGameBytes`,
        pg.passivatedBytes,
        "bytes/game",
        { name: `scale.pg.g${pg.games}.stateJsonBytes`, value: pg.stateBytes },
        {
          n: pg.games,
          better: "lower",
          note: "PostgreSQL boundary: heap per game after passivation (PgStorage keeps each key's last committed state in a process cache that passivation does not clear)"
        }
      )
    )
    return figures
  })

// internal

interface Level {
  readonly games: number
  readonly moves: number
  readonly rate: number
  readonly idleBytes: number
  readonly passivatedBytes: number
  readonly stateBytes: number
  readonly activeKeys: number
  readonly idleWorkers: number
  readonly passivatedWorkers: number
}

const nation: Nation.Nation = "Italy"

const level = (
  games: number,
  totalMoves: number,
  idle: Duration.Duration,
  layer: Layer.Layer<Application.Application, unknown>
) =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const rondel = app.host(RondelHost.definition)
    const accounting = app.host(AccountingHost.definition)
    const gameId = (g: number) => `scale-${games}-${g}` as GameId
    const ids = Array.from({ length: games }, (_, g) => g)
    // Let what earlier sections left behind (closing sockets, interrupted timers) go before the baseline.
    yield* Effect.sleep(games >= 1_000 ? Duration.seconds(1) : Duration.millis(200))
    const heap0 = yield* heap

    yield* Effect.forEach(
      ids,
      (g) =>
        Effect.gen(function* () {
          yield* Apps.ask(accounting, {
            _tag: "OpenAccounts",
            gameId: gameId(g),
            nations: [nation],
            startingBalance: 100
          })
          yield* Apps.ask(rondel, { _tag: "SetToStartingPositions", gameId: gameId(g), nations: [nation] })
          yield* Apps.ask(rondel, { _tag: "Move", gameId: gameId(g), nation, space: "Investor" })
        }),
      { concurrency: 256, discard: true }
    )
    yield* app.settle()
    const active = yield* app.stats
    const heapIdle = yield* heap

    yield* Effect.sleep(Duration.sum(idle, Duration.millis(500)))
    const passivated = yield* app.stats
    const heapPassivated = yield* heap
    const rondelState = yield* rondel.state(gameId(0))
    const accountingState = yield* accounting.state(gameId(0))
    const stateBytes = JSON.stringify(rondelState).length + JSON.stringify(accountingState).length

    const perGame = Math.max(1, Math.min(1_000, Math.floor(totalMoves / games)))
    const start = performance.now()
    yield* Effect.forEach(
      ids,
      (g) =>
        Effect.gen(function* () {
          for (let m = 1; m <= perGame; m++) {
            yield* Apps.ask(rondel, { _tag: "Move", gameId: gameId(g), nation, space: Space.Spaces[m % 8]! })
          }
        }),
      { concurrency: "unbounded", discard: true }
    )
    const rate = ((perGame * games) / (performance.now() - start)) * 1000

    return {
      games,
      moves: perGame * games,
      rate,
      idleBytes: (heapIdle - heap0) / games,
      passivatedBytes: Math.max(0, heapPassivated - heap0) / games,
      stateBytes,
      activeKeys: active.reduce((n, s) => n + s.activeKeys, 0),
      idleWorkers: active.reduce((n, s) => n + s.workers, 0),
      passivatedWorkers: passivated.reduce((n, s) => n + s.workers, 0)
    } satisfies Level
  }).pipe(Effect.provide(layer), Effect.scoped)

/** Used heap after full garbage collections (twice, with a pause for finalizers and weak callbacks). */
const heap = Effect.gen(function* () {
  gc()
  yield* Effect.sleep(Duration.millis(50))
  gc()
  return process.memoryUsage().heapUsed
})

const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    v8.setFlagsFromString("--expose-gc")
    return vm.runInNewContext("gc") as () => void
  })()
