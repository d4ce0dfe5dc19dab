import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Application from "../../src/commit/Application.js"
import {
  assertConverged,
  audit,
  envelopeOf,
  game,
  inbox,
  move,
  type Nations,
  open,
  paymentDeadline,
  positionsOf,
  settle,
  sqlClient,
  start,
  startGame,
  toAccounting,
  toRondel
} from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// Scale-out on one database: several processes (here: application layers in one process, each with its own
// actors, bus and relay) and several delivery workers per process compete for the same inboxes.

const spaces = [
  "Investor",
  "Import",
  "ProductionOne",
  "ManeuverOne",
  "Taxation",
  "Factory",
  "ProductionTwo",
  "ManeuverTwo"
] as const

describe("Two relay processes with two workers each on one database", () => {
  it.scopedLive("keep per-key order and never deliver one message twice", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      const sql = yield* sqlClient(url)
      const relay = { pollInterval: "50 millis", workers: 2 } as const
      const apps = [
        yield* start(ImperialApp.layerPostgres({ url, relay, paymentDeadline })),
        yield* start(ImperialApp.layerPostgres({ url, relay, paymentDeadline }))
      ]
      const random = mulberry32(0x5eed)
      const nations: Nations = ["Germany", "France", "Italy"]
      const games = Array.from({ length: 24 }, (_, i) => game(`concurrency-${i}`))
      let turn = 0
      const via = () => apps[turn++ % apps.length]!
      for (const gameId of games) {
        yield* via().run(toRondel(startGame(gameId, nations)))
        yield* via().run(toAccounting(open(gameId, nations, 12)))
      }
      // Moves for every game interleaved, each sent through either process; no waiting in between,
      // so each game has several messages in flight at once.
      const sent = new Map<string, Array<string>>()
      for (let round = 0; round < 8; round++) {
        for (const gameId of games) {
          const nation = nations[Math.floor(random() * nations.length)]!
          const space = spaces[Math.floor(random() * spaces.length)]!
          const envelope = yield* via().run(toRondel(move(gameId, nation, space)))
          sent.set(gameId, [...(sent.get(gameId) ?? []), envelope.messageId])
        }
      }
      for (const app of apps) yield* app.run(settle)

      const rondelLog = yield* audit(sql, "rondel")
      const accountingLog = yield* audit(sql, "accounting")
      for (const gameId of games) {
        // Rondel handled each game's moves in submission order...
        assert.deepStrictEqual(
          rondelLog.filter((e) => e.key === gameId && e.type === "Move").map((e) => e.message_id),
          sent.get(gameId),
          `${gameId}: moves out of order`
        )
        // ... and Accounting the game's charges and voids in the order Rondel sent them.
        assert.deepStrictEqual(
          accountingLog
            .filter((e) => e.key === gameId && (e.type === "ChargeMovement" || e.type === "VoidCharge"))
            .map((e) => e.message_id),
          rondelLog.filter((e) => e.key === gameId).flatMap((e) => e.commands.map((c) => c.messageId)),
          `${gameId}: charges and voids out of order`
        )
      }
      // Every inbox row was handled by exactly one commit: no message was delivered twice.
      for (const [host, log] of [
        ["rondel", rondelLog],
        ["accounting", accountingLog]
      ] as const) {
        const rows = yield* inbox(sql, host)
        assert.strictEqual(log.length, rows.length, `${host}: commits vs inbox rows`)
        assert.strictEqual(
          new Set(log.map((e) => e.message_id)).size,
          log.length,
          `${host}: a message committed twice`
        )
      }
      yield* assertConverged(sql)
      const handled = yield* Effect.forEach(apps, (app) =>
        app.run(Effect.flatMap(Application.Application, (a) => a.stats))
      )
      yield* Effect.log(
        `handled per process: ${handled.map((stats) => stats.map((s) => `${s.host} ${s.processed}`).join(", ")).join(" | ")}`
      )
    })
  )

  it.scopedLive("a query in one process answers what another process committed", () =>
    Effect.gen(function* () {
      const { url } = yield* freshDatabase()
      const sql = yield* sqlClient(url)
      const relay = { pollInterval: "50 millis" } as const
      const gameId = game("fresh-query")
      const a = yield* start(ImperialApp.layerPostgres({ url, relay, paymentDeadline }))
      yield* a.run(toRondel(startGame(gameId, ["Germany", "France"])))
      yield* a.run(toRondel(move(gameId, "Germany", "Investor")))
      yield* a.run(settle)
      assert.deepStrictEqual((yield* a.run(positions(gameId))).Germany, "Investor")

      // Another process handles the next move of the game (as its relay would hand it over).
      const b = yield* start(ImperialApp.layerPostgres({ url, relay, paymentDeadline }))
      const next = envelopeOf(move(gameId, "Germany", "Import"), `next-${gameId}`, gameId)
      yield* b.run(
        Effect.flatMap(Application.Application, (app) =>
          app.host(RondelHost.definition).actor.ask(gameId, next)
        )
      )
      assert.deepStrictEqual((yield* positionsOf(sql, gameId)).Germany, { current: "Import", pending: null })

      assert.deepStrictEqual((yield* a.run(positions(gameId))).Germany, "Import")
      assert.deepStrictEqual((yield* b.run(positions(gameId))).Germany, "Import")
    })
  )
})

// internal

const positions = (gameId: string) =>
  Effect.map(
    Effect.flatMap(RondelClient.RondelClient, (rondel) => rondel.positions(gameId as never)),
    (list) => Object.fromEntries((list ?? []).map((p) => [p.nation, p.current]))
  )

/** A small seeded PRNG (mulberry32), so the workload is the same on every run. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
