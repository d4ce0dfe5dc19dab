import { Deferred, Effect, Exit, type Layer } from "effect"
import * as Application from "../src/commit/Application.js"
import type { GameId } from "../hosts/contracts/GameId.js"
import type * as Nation from "../hosts/contracts/Nation.js"
import * as Space from "../hosts/contracts/Space.js"
import * as AccountingHost from "../hosts/accounting/AccountingHost.js"
import * as RondelHost from "../hosts/rondel/RondelHost.js"
import type { CommitHook } from "./apps.js"
import * as Apps from "./apps.js"
import { withDatabase } from "./counter.js"
import * as RawPg from "./rawPg.js"
import { type Figure, vs } from "./report.js"
import { runFor } from "./timing.js"

/** Options of the game-length benchmark. */
export interface HistoryOptions {
  readonly quick: boolean
  readonly adminUrl: string
}

/**
 * Does a game's history slow its commits? Paid-move flows (Move → ChargeMovement → RondelInvoicePaid → the nation
 * moves) on PostgreSQL, at the same concurrency and access pattern (one game per worker), in games 10 moves long
 * (a fresh set each round) and in games 1,000 moves long (played through the same flow beforehand); and the size of a
 * 1,000-move game's stored state. States keep no history (it is
 * in the audit log), so both rates should match and the state should not grow with the game.
 */
export const runHistoryBench = (options: HistoryOptions): Effect.Effect<ReadonlyArray<Figure>, unknown> =>
  Effect.gen(function* () {
    const pg = yield* withDatabase(options.adminUrl, (url) => history(url, options.quick))
    // The same on the memory boundary: the domain's share alone, without the database (no target, attribution).
    const memory = yield* history(undefined, options.quick)
    return [...pg, ...memory]
  })

// internal

const nation: Nation.Nation = "France"
/** Flows in flight at once, in both measurements: one game per worker, each flow after the previous one. */
const concurrency = 8

const history = (url: string | undefined, quick: boolean) => {
  const mode = url === undefined ? "memory" : "pg"
  const longLength = quick ? 100 : 1_000
  const shortLength = 10
  const seconds = quick ? 0.5 : 1.5
  const rounds = quick ? 1 : 5
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
    const positions = new Map<string, number>()
    const lengths = new Map<string, number>()
    const longGames = Array.from({ length: concurrency }, (_, g) => `long-${g}` as GameId)
    // A fresh set of short games for each round, so every measured flow is in a game near its short length.
    const shortSets = Array.from({ length: rounds }, (_, r) =>
      Array.from({ length: concurrency }, (_, g) => `short-${r}-${g}` as GameId)
    )
    const shortGames = shortSets.flat()

    yield* Effect.forEach(
      [...longGames, ...shortGames],
      (gameId) =>
        Effect.gen(function* () {
          yield* accounting.send({
            _tag: "OpenAccounts",
            gameId,
            nations: [nation],
            startingBalance: 1_000_000_000
          })
          yield* rondel.send({ _tag: "SetToStartingPositions", gameId, nations: [nation] })
          yield* rondel.send({ _tag: "Move", gameId, nation, space: "Investor" })
          positions.set(gameId, 0)
          lengths.set(gameId, 1)
        }),
      { concurrency: 8, discard: true }
    )
    yield* app.settle({ timeout: "60 seconds" })

    // One paid flow (four spaces clockwise, 2M) in one game, until Rondel has committed its payment.
    const flow = (gameId: GameId) =>
      Effect.gen(function* () {
        const target = ((positions.get(gameId) ?? 0) + 4) % 8
        const done = yield* Deferred.make<void>()
        waiting.set(gameId, done)
        yield* rondel.send({ _tag: "Move", gameId, nation, space: Space.Spaces[target]! })
        yield* Apps.awaitDone(done, `the paid move of ${gameId} to ${Space.Spaces[target]!}`)
        positions.set(gameId, target)
        lengths.set(gameId, (lengths.get(gameId) ?? 0) + 1)
      })
    const playTo = (games: ReadonlyArray<GameId>, length: number) =>
      Effect.forEach(
        games,
        (gameId) =>
          Effect.whileLoop({
            while: () => (lengths.get(gameId) ?? 0) < length,
            body: () => flow(gameId),
            step: () => {}
          }),
        { concurrency, discard: true }
      )
    console.error(`[bench] history (${mode}): playing ${longGames.length} games to ${longLength} moves…`)
    yield* playTo(longGames, longLength)
    yield* playTo(shortGames, shortLength)

    // The same access pattern for both (one game per worker, flows back to back), in turns, the order reversed every
    // other round; the best round of each is kept (as bestOf does).
    let shortRate = 0
    let longRate = 0
    for (let r = 0; r < rounds; r++) {
      const short = Effect.map(
        runFor(seconds, concurrency, (worker) => flow(shortSets[r]![worker]!)),
        (rate) => {
          shortRate = Math.max(shortRate, rate)
        }
      )
      const long = Effect.map(
        runFor(seconds, concurrency, (worker) => flow(longGames[worker]!)),
        (rate) => {
          longRate = Math.max(longRate, rate)
        }
      )
      yield* r % 2 === 0 ? Effect.zipRight(short, long) : Effect.zipRight(long, short)
    }

    const played = (games: ReadonlyArray<GameId>) =>
      Math.round(games.reduce((sum, g) => sum + (lengths.get(g) ?? 0), 0) / games.length)
    if (url === undefined) {
      return [
        vs(
          "history",
          `history.memory.rate.len${longLength}`,
          longRate,
          "flows/s",
          { name: `history.memory.rate.len${shortLength}`, value: shortRate },
          {
            note: `the same on the memory boundary (the domain and runtime without a database), ${concurrency} flows at once`
          }
        )
      ]
    }
    const sizes = yield* Effect.promise(async () => {
      const client = RawPg.pool(url, 1)
      try {
        const size = async (host: string, prefix: string) => {
          const { rows } = await client.query(
            `SELECT max(octet_length(state::text))::int AS bytes FROM "${host}".state WHERE key LIKE $1`,
            [`${prefix}-%`]
          )
          return Number(rows[0]?.bytes ?? 0)
        }
        return {
          rondelLong: await size("rondel", "long"),
          rondelShort: await size("rondel", "short"),
          accountingLong: await size("accounting", "long"),
          accountingShort: await size("accounting", "short")
        }
      } finally {
        await client.end()
      }
    })
    const note = `${concurrency} flows at once, PostgreSQL (outbox + relay); games ${longLength} moves long (${played(longGames)} after the runs)`
    const sizeTarget = "< 4 KB"
    return [
      vs(
        "history",
        `history.pg.rate.len${longLength}`,
        longRate,
        "flows/s",
        { name: `history.pg.rate.len${shortLength}`, value: shortRate },
        {
          target: `≥ 0.9× the rate at length ${shortLength}`,
          met: longRate >= 0.9 * shortRate,
          note: `${note}; baseline: fresh games ${shortLength} moves long each round (${played(shortGames)} on average after it), same concurrency and pattern`
        }
      ),
      vs(
        "history",
        `history.state.rondel.len${longLength}`,
        sizes.rondelLong,
        "bytes",
        { name: `history.state.rondel.len${shortLength}`, value: sizes.rondelShort },
        {
          better: "lower",
          target: sizeTarget,
          met: sizes.rondelLong < 4_096,
          note: "Rondel's stored state (jsonb as text) of the longest game"
        }
      ),
      vs(
        "history",
        `history.state.accounting.len${longLength}`,
        sizes.accountingLong,
        "bytes",
        { name: `history.state.accounting.len${shortLength}`, value: sizes.accountingShort },
        {
          better: "lower",
          target: sizeTarget,
          met: sizes.accountingLong < 4_096,
          note: "Accounting's stored state (jsonb as text) of the longest game"
        }
      )
    ]
  }).pipe(
    Effect.provide(
      url === undefined
        ? (Apps.memory([RondelHost.definition, AccountingHost.definition], { onCommit }) as Layer.Layer<
            Application.Application,
            unknown
          >)
        : Apps.postgres(url, [RondelHost.definition, AccountingHost.definition], { onCommit })
    ),
    Effect.scoped
  )
}
