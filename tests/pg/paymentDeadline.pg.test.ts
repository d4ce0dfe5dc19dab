import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import type * as BillingId from "../../hosts/contracts/BillingId.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Decision from "../../src/commit/Decision.js"
import {
  accountingState,
  audit,
  balancesOf,
  billOf,
  eventually,
  fastRelay,
  game,
  move,
  open,
  positionsOf,
  rondelState,
  sqlClient,
  start,
  startGame,
  toAccounting,
  toRondel
} from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// Rondel's payment deadline on PostgreSQL, on real time: with Accounting silent (it takes charges and never answers),
// a paid move's deadline (200 ms here) waits in Rondel's outbox, fires, voids the charge and rejects the move.

const paymentDeadline = "200 millis"

describe("Rondel's payment deadline on Postgres", () => {
  it.scopedLive(
    "Accounting never answers: the deadline fires for real, voids the charge, rejects the move",
    () =>
      Effect.gen(function* () {
        const { url } = yield* freshDatabase()
        const sql = yield* sqlClient(url)
        // Accounting takes every ChargeMovement and does nothing with it, as a context that never answers.
        const silent: ImperialApp.Wrap = (definition) =>
          definition.name !== "accounting"
            ? definition
            : {
                ...definition,
                decide: (state, message, context) =>
                  (message as { readonly _tag: string })._tag === "ChargeMovement"
                    ? Decision.none
                    : definition.decide(state, message, context)
              }
        const app = yield* start(
          ImperialApp.layerPostgres({ url, relay: fastRelay, paymentDeadline, wrap: silent })
        )
        const gameId = game("deadline")
        yield* app.run(toRondel(startGame(gameId, ["Germany"])))
        yield* app.run(toAccounting(open(gameId, ["Germany"], 20)))
        yield* app.run(toRondel(move(gameId, "Germany", "Investor")))
        yield* eventually(
          sql,
          "the first move",
          Effect.map(positionsOf(sql, gameId), (p) => p.Germany?.current === "Investor")
        )
        const paid = yield* app.run(toRondel(move(gameId, "Germany", "Factory")))
        const bill = billOf(paid.messageId) as BillingId.BillingId

        yield* eventually(
          sql,
          "the move to time out",
          Effect.map(rondelState(sql, gameId), (state) => state?.nations[0].pending === null)
        )
        yield* eventually(
          sql,
          "accounting to take the void",
          Effect.map(
            accountingState(sql, gameId),
            (state) => state !== undefined && Accounting.chargeStatus(state, bill) === "VoidedBeforeCharge"
          )
        )
        assert.deepStrictEqual(yield* positionsOf(sql, gameId), {
          Germany: { current: "Investor", pending: null }
        })
        const deadline = (yield* audit(sql, "rondel")).filter(
          (e) => e.key === gameId && e.type === "PaymentDeadline"
        )
        assert.deepStrictEqual(
          deadline.map((e) => [e.message_id, e.state_changed]),
          [[`${paid.messageId}.t0`, true]]
        )
        assert.deepStrictEqual(
          deadline[0]!.events.map((e) => [e.type, (e.payload as { reason?: string }).reason]),
          [["MoveToActionSpaceRejected", "PaymentTimedOut"]]
        )
        assert.deepStrictEqual(
          deadline[0]!.commands.map((c) => [c.type, (c.payload as { billingId?: string }).billingId]),
          [["VoidCharge", bill]]
        )
        assert.deepStrictEqual(yield* balancesOf(sql, gameId), { Germany: 20, Bank: -20 })
      })
  )
})
