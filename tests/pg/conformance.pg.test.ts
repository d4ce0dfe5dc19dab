import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as RondelMessages from "../../hosts/contracts/RondelMessages.js"
import type * as Space from "../../hosts/contracts/Space.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Application from "../../src/commit/Application.js"
import * as Conformance from "../../src/testing/Conformance.js"
import * as Progress from "../../src/testing/internal/progress.js"
import { paymentDeadline } from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// The conformance kit over the two real boundaries: each scenario runs on the memory application and on the
// Postgres application (a database of its own), and both must leave the same states and the same messages
// handled and produced, up to the duplicates the Postgres inbox drops. Message ids differ (random on both) and
// are compared canonically; ledger entries carry the clock (`at`), which is left out.

type Hosts = RondelClient.RondelClient | AccountingClient.AccountingClient

// The payment deadline is far away on both: no scenario is about it, and a loaded machine must not make one fire.
const memory = Conformance.target<Hosts, unknown>("memory", () =>
  ImperialApp.layerMemoryWith(undefined, { paymentDeadline })
)
const postgres = Conformance.target<Hosts, unknown>("postgres", () =>
  Layer.unwrapScoped(
    Effect.map(freshDatabase(), ({ url }) =>
      ImperialApp.layerPostgres({ url, relay: { pollInterval: "50 millis" }, paymentDeadline })
    )
  )
)
const options: Conformance.OutcomeOptions = { ignoreFields: ["at"], settleTimeout: "1 minute" }

const runId = Math.random().toString(36).slice(2, 8)
const game = (name: string) => GameId.GameId.make(`conf-${name}-${runId}`)
type Nations = readonly [Nation.Nation, ...Array<Nation.Nation>]

const settle = Progress.settle()
const toRondel = (command: RondelClient.RondelCommand) =>
  Effect.flatMap(RondelClient.RondelClient, (rondel) => rondel.send(command))
const toAccounting = (command: AccountingClient.AccountingCommand) =>
  Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.send(command))
const move = (gameId: GameId.GameId, nation: Nation.Nation, space: Space.Space) =>
  toRondel(RondelMessages.Move.make({ gameId, nation, space }))
const setUp = (gameId: GameId.GameId, nations: Nations, startingBalance: number) =>
  Effect.gen(function* () {
    yield* toRondel(RondelMessages.SetToStartingPositions.make({ gameId, nations }))
    yield* toAccounting(AccountingMessages.OpenAccounts.make({ gameId, nations, startingBalance }))
    yield* settle
  })

const moves = Conformance.scenario<Hosts, unknown>(
  "free, paid, unaffordable and funded moves",
  Effect.gen(function* () {
    const gameId = game("moves")
    yield* setUp(gameId, ["Germany", "France"], 5)
    for (const [nation, space] of [
      ["Germany", "Investor"],
      ["France", "Taxation"],
      ["Germany", "Factory"], // 5 steps: 4M, paid
      ["France", "ManeuverOne"], // 7 steps: too far
      ["Germany", "Import"] // 4 steps: 2M, Germany has 1M: payment fails
    ] as const) {
      yield* move(gameId, nation, space)
      yield* settle
    }
    yield* toAccounting(AccountingMessages.Deposit.make({ gameId, nation: "Germany", amount: 3 }))
    yield* settle
    yield* move(gameId, "Germany", "Import")
    yield* move(gameId, "Russia", "Investor")
    yield* move(game("nowhere"), "Germany", "Investor")
  })
)

const duplicates = Conformance.scenario<Hosts, unknown>(
  "every handled message sent again with its id",
  Effect.gen(function* () {
    const gameId = game("duplicates")
    yield* setUp(gameId, ["Germany", "Italy"], 10)
    yield* move(gameId, "Germany", "Investor")
    yield* settle
    yield* move(gameId, "Germany", "ProductionTwo")
    yield* settle
    const app = yield* Application.Application
    for (const host of app.hosts.values()) {
      for (const entry of yield* host.audit(gameId)) {
        const { messageId, causationId, correlationId, type, version, payload } = entry.message
        yield* host.sendWire({ type, version, payload }, { messageId, causationId, correlationId })
      }
    }
  })
)

describe("Conformance: Imperial on memory and on Postgres", () => {
  for (const scenario of [moves, duplicates]) {
    it.live(`${scenario.name}: same outcome on both boundaries`, () =>
      Effect.gen(function* () {
        const [onMemory, onPostgres] = yield* Conformance.check(scenario, [memory, postgres], options)
        assert.strictEqual(onPostgres!.target, "postgres")
        assert.isAbove(Object.keys(onMemory!.states.rondel ?? {}).length, 0)
        assert.isAbove(Object.keys(onMemory!.handled.accounting ?? {}).length, 0)
      })
    )
  }

  it.live("a behaviour that differs between the boundaries is reported", () =>
    Effect.gen(function* () {
      // The same program, but it sends one more deposit where the application runs on Postgres.
      const diverging = Conformance.scenario<Hosts, unknown>(
        "diverging",
        Effect.gen(function* () {
          const gameId = game("diverging")
          yield* setUp(gameId, ["Germany"], 10)
          const app = yield* Application.Application
          if (app.boundary === "postgres") {
            yield* toAccounting(AccountingMessages.Deposit.make({ gameId, nation: "Germany", amount: 1 }))
          }
        })
      )
      const mismatch = yield* Effect.flip(Conformance.check(diverging, [memory, postgres], options))
      assert.strictEqual((mismatch as Conformance.ConformanceMismatch)._tag, "ConformanceMismatch")
      assert.include((mismatch as Conformance.ConformanceMismatch).message, "postgres differs from memory")
    })
  )
})
