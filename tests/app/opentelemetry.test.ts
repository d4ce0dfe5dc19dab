import { NodeSdk } from "@effect/opentelemetry"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Progress from "../../src/testing/internal/progress.js"

// The README's recipe: an OpenTelemetry exporter plugged in with @effect/opentelemetry receives the spans,
// and a paid move is one trace across Rondel and Accounting.
describe("exporting traces with @effect/opentelemetry", () => {
  it.live("a paid-move flow arrives at the exporter as one trace spanning both hosts", () => {
    const exporter = new InMemorySpanExporter()
    const telemetry = NodeSdk.layer(() => ({
      resource: { serviceName: "imperial-test" },
      spanProcessor: new SimpleSpanProcessor(exporter)
    }))
    return Effect.gen(function* () {
      const rondel = yield* RondelClient.RondelClient
      const accounting = yield* AccountingClient.AccountingClient
      const gameId = "otel-1" as GameId.GameId
      yield* rondel.send({ _tag: "SetToStartingPositions", gameId, nations: ["France"] })
      yield* accounting.send({ _tag: "OpenAccounts", gameId, nations: ["France"], startingBalance: 10 })
      yield* rondel.send({ _tag: "Move", gameId, nation: "France", space: "Import" })
      yield* Progress.settle()
      const traceId = yield* Effect.gen(function* () {
        yield* rondel.send({ _tag: "Move", gameId, nation: "France", space: "ProductionTwo" })
        return (yield* Effect.currentSpan).traceId
      }).pipe(Effect.withSpan("client.move"))
      yield* Progress.settle()

      const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId)
      const handled = spans
        .filter((span) => span.name === "mailroom.handle")
        .map((span) => `${span.attributes["mailroom.host"]}:${span.attributes["mailroom.type"]}`)
      assert.includeMembers(handled, ["rondel:Move", "accounting:ChargeMovement", "rondel:RondelInvoicePaid"])
      assert.isTrue(spans.some((span) => span.name === "mailroom.commit"))
      assert.isTrue(spans.some((span) => span.name === "mailroom.decide"))
    }).pipe(Effect.provide(ImperialApp.layerMemory.pipe(Layer.provideMerge(telemetry))))
  })
})
