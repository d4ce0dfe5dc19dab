import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Queue } from "effect"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as Contracts from "../../hosts/contracts/Contracts.js"
import type * as GameId from "../../hosts/contracts/GameId.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Relay from "../../src/commit/Relay.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import { paymentDeadline, settle } from "./imperialPg.js"
import { freshDatabase } from "./support.js"

describe("Postgres boundary: observation feed and pending rows", () => {
  it.live("every transaction is reported on the feed, duplicates marked as such", () =>
    Effect.gen(function* () {
      const bus = yield* Bus.Bus
      const feed = yield* bus.subscribe
      const rondel = yield* RondelClient.RondelClient
      const accounting = yield* AccountingClient.AccountingClient
      const app = yield* Application.Application
      const gameId = "feed-1" as GameId.GameId
      yield* rondel.send({ _tag: "SetToStartingPositions", gameId, nations: ["Germany"] })
      yield* accounting.send({ _tag: "OpenAccounts", gameId, nations: ["Germany"], startingBalance: 10 })
      yield* rondel.send({ _tag: "Move", gameId, nation: "Germany", space: "Investor" })
      yield* settle
      const move = yield* rondel.send({ _tag: "Move", gameId, nation: "Germany", space: "Taxation" })
      yield* settle
      // The same Move again, with its id: the inbox drops it.
      const host = app.host(RondelHost.definition)
      yield* host.sendWire(move, { messageId: move.messageId })
      yield* settle

      const committed = Chunk.toReadonlyArray(yield* Queue.takeAll(feed)).filter(
        (o) => o._tag === "Committed"
      )
      const types = committed.map((o) => (o._tag === "Committed" ? `${o.host}:${o.consumed.type}` : ""))
      assert.includeMembers(types, [
        "rondel:SetToStartingPositions",
        "accounting:OpenAccounts",
        "rondel:Move",
        "accounting:ChargeMovement",
        "rondel:RondelInvoicePaid"
      ])
      const ofMove = committed.filter(
        (o) => o._tag === "Committed" && o.consumed.messageId === move.messageId
      )
      assert.strictEqual(
        ofMove.length,
        1,
        "the Move sent again never reaches a commit: the inbox already has its id"
      )
      const charge = committed.find((o) => o._tag === "Committed" && o.consumed.type === "ChargeMovement")
      assert.isTrue(charge?._tag === "Committed" && charge.events[0]?.type === "RondelInvoicePaid")
    }).pipe(
      Effect.scoped,
      Effect.provide(
        Layer.unwrapScoped(
          Effect.map(freshDatabase(), ({ url }) =>
            ImperialApp.layerPostgres({ url, relay: { pollInterval: "50 millis" }, paymentDeadline })
          )
        )
      )
    )
  )

  it.live("pending lists messages stored but not yet handed on", () =>
    Effect.gen(function* () {
      const boundary = yield* CommitBoundary
      const relay = yield* Relay.Relay
      const wire = Contracts.encodeMessage({
        _tag: "Move",
        gameId: "pending-1" as GameId.GameId,
        nation: "Italy",
        space: "Import"
      })
      const id = "pending-move-1" as Envelope.MessageId
      // No host runs in this process, so nothing is delivered: the row waits in Rondel's inbox.
      yield* boundary.accept("rondel", Envelope.make(id, "pending-1", wire, 0))
      const pending = yield* relay.pending(10)
      assert.deepStrictEqual(
        pending.map((row) => [row.host, row.box, row.messageId, row.type, row.key, row.peer]),
        [["rondel", "inbox", id, "Move", "pending-1", "external"]]
      )
    }).pipe(
      Effect.scoped,
      Effect.provide(
        Layer.unwrapScoped(
          Effect.map(freshDatabase(), ({ url }) => ImperialApp.layerPostgresApplication({ url, local: [] }))
        )
      )
    )
  )
})
