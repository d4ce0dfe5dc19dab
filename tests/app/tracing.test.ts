import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Application from "../../src/commit/Application.js"
import * as Host from "../../src/commit/Host.js"

describe("trace context", () => {
  it.scoped("one paid-move flow is one trace across both hosts", () =>
    Effect.gen(function* () {
      const rondel = yield* RondelClient.RondelClient
      const accounting = yield* AccountingClient.AccountingClient
      const app = yield* Application.Application
      const gameId = "trace-1" as GameId.GameId
      yield* rondel.send({ _tag: "SetToStartingPositions", gameId, nations: ["Italy"] })
      yield* accounting.send({ _tag: "OpenAccounts", gameId, nations: ["Italy"], startingBalance: 10 })
      yield* rondel.send({ _tag: "Move", gameId, nation: "Italy", space: "Investor" })
      yield* app.settle()
      const root = yield* Effect.gen(function* () {
        yield* rondel.send({ _tag: "Move", gameId, nation: "Italy", space: "ProductionTwo" })
        return yield* Effect.currentSpan
      }).pipe(Effect.withSpan("client.request"))
      yield* app.settle()

      const rondelLog = yield* app.host(RondelHost.definition).audit(gameId)
      const accountingLog = yield* app.host(AccountingHost.definition).audit(gameId)
      const move = rondelLog.find(
        (entry) => entry.message.payload && (entry.message.payload as any).space === "ProductionTwo"
      )
      const charge = move?.commands.find((c) => c.type === "ChargeMovement")
      const paid = accountingLog.find((entry) => entry.message.messageId === charge?.messageId)?.events[0]
      const completed = rondelLog.find((entry) => entry.message.messageId === paid?.messageId)

      assert.strictEqual(Host.parentOf(move?.message.traceparent)?.traceId, root.traceId)
      assert.strictEqual(Host.parentOf(charge?.traceparent)?.traceId, root.traceId)
      assert.strictEqual(paid?.type, "RondelInvoicePaid")
      assert.strictEqual(Host.parentOf(paid?.traceparent)?.traceId, root.traceId)
      assert.strictEqual(completed?.events[0]?.type, "ActionDetermined")
      assert.strictEqual(Host.parentOf(completed?.events[0]?.traceparent)?.traceId, root.traceId)
      // Effect's built-in tracer exports nothing, so handling records no spans of its own and hands the
      // incoming trace context on as it came (with an exporting tracer each hop is a child span: opentelemetry.test).
      assert.strictEqual(charge?.traceparent, move?.message.traceparent)
      assert.strictEqual(paid?.traceparent, move?.message.traceparent)
      // Causation chains the same flow message by message.
      assert.strictEqual(charge?.causationId, move?.message.messageId)
      assert.strictEqual(paid?.causationId, charge?.messageId)
      assert.strictEqual(paid?.correlationId, move?.message.messageId)
    }).pipe(Effect.provide(ImperialApp.layerMemory))
  )

  it("traceparent round-trips and rejects malformed input", () => {
    assert.isUndefined(Host.parentOf("garbage"))
    assert.isUndefined(Host.parentOf(undefined))
    const span = Host.parentOf("00-0123456789abcdef0123456789abcdef-0123456789abcdef-01")
    assert.strictEqual(span?.traceId, "0123456789abcdef0123456789abcdef")
    assert.strictEqual(span?.spanId, "0123456789abcdef")
  })
})
