import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Bus from "../../src/commit/Bus.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Faults from "../../src/commit/Faults.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as PgBoundary from "../../src/pg/PgBoundary.js"
import * as Relay from "../../src/commit/Relay.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import { board, frontDoorSuite, poisonEvent } from "../app/frontDoor.js"
import { freshDatabase } from "./support.js"

const options: PgBoundary.PgBoundaryOptions = {
  hosts: [board],
  relay: { pollInterval: "50 millis", backoff: "10 millis", maxBackoff: "20 millis", maxAttempts: 2 }
}

/** The board host on Postgres, on a database of its own. */
const layerBoard = () =>
  Layer.unwrapScoped(
    Effect.map(freshDatabase(), ({ url }) =>
      Application.layer([board]).pipe(
        Layer.provideMerge(PgBoundary.layer(options)),
        Layer.provideMerge(Layer.mergeAll(ActorSystem.layer, MessageIds.layer, Bus.layer, Faults.layer)),
        Layer.provideMerge(
          PgBoundary.layerClient(url, { maxConnections: PgBoundary.defaultPoolSize(options) })
        )
      )
    )
  )

frontDoorSuite("the front door on the Postgres boundary", layerBoard)

const envelope = (id: string, key: string, text: string): Envelope.Envelope =>
  Envelope.make(id as Envelope.MessageId, key, { type: "Note", version: 1, payload: { board: key, text } }, 0)

describe("the Postgres front door, below the validation", () => {
  it.live(
    "one message the database refuses fails alone: 20 concurrent valid messages accepted around it are stored",
    () =>
      Effect.gen(function* () {
        const boundary = yield* CommitBoundary
        const relay = yield* Relay.Relay
        // The raw boundary, below Host's validation: a NUL the database refuses (jsonb), among valid messages.
        const valid = Array.from({ length: 20 }, (_, i) =>
          envelope(`alone-${i}`, `alone-k${i % 4}`, `text ${i}`)
        )
        const poisoned = envelope("alone-poison", "alone-k0", "nul \u0000 here")
        const all = [...valid.slice(0, 10), poisoned, ...valid.slice(10)]
        const exits = yield* Effect.forEach(all, (e) => Effect.exit(boundary.accept("board", e)), {
          concurrency: "unbounded"
        })
        const failed = all.filter((_, i) => Exit.isFailure(exits[i]!)).map((e) => e.messageId)
        assert.deepStrictEqual(failed, ["alone-poison"])
        const exit = exits[10]!
        assert.isTrue(Exit.isFailure(exit) && JSON.stringify(exit.cause).includes("PersistenceError"))
        for (const e of valid) assert.strictEqual((yield* relay.messageStatus(e.messageId)).length, 1)
        assert.deepStrictEqual(yield* relay.messageStatus("alone-poison"), [])
      }).pipe(Effect.scoped, Effect.provide(layerBoard()))
  )

  it.live("one commit the database refuses fails alone: the rest of its group commits", () =>
    Effect.gen(function* () {
      const boundary = yield* CommitBoundary
      const sql = yield* SqlClient.SqlClient
      // A constraint of the test schema, past any validation: the state of one key cannot be written.
      yield* sql.unsafe(`CREATE FUNCTION board.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.key = 'gc-poison' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$`)
      yield* sql.unsafe(`CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON board.state
        FOR EACH ROW EXECUTE FUNCTION board.refuse_poison()`)
      const keys = [...Array.from({ length: 10 }, (_, i) => `gc-${i}`), "gc-poison"]
      const exits = yield* Effect.forEach(
        keys,
        (key) =>
          Effect.exit(
            boundary.commit({
              host: board,
              key,
              consumed: envelope(`${key}-m`, key, "x"),
              expectedVersion: 0,
              state: { texts: ["x"] },
              events: [],
              commands: []
            })
          ),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(
        keys.filter((_, i) => Exit.isFailure(exits[i]!)),
        ["gc-poison"]
      )
      assert.include(JSON.stringify(exits[10]), "refused by the test trigger")
      for (const key of keys.slice(0, 10)) assert.strictEqual((yield* boundary.read(board, key))?.version, 1)
    }).pipe(Effect.scoped, Effect.provide(layerBoard()))
  )

  it.live("the same id twice in one batch: the same message is stored once, another is refused", () =>
    Effect.gen(function* () {
      const boundary = yield* CommitBoundary
      const relay = yield* Relay.Relay
      const exits = yield* Effect.forEach(
        [
          envelope("twice-1", "twice", "one"),
          envelope("twice-1", "twice", "one"),
          envelope("twice-1", "twice", "two"),
          envelope("twice-2", "twice", "three")
        ],
        (e) => Effect.exit(boundary.accept("board", e)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(
        exits.map((exit) =>
          Exit.isSuccess(exit)
            ? "ok"
            : JSON.stringify(exit.cause).includes("MessageIdReused")
              ? "reused"
              : "failed"
        ),
        ["ok", "ok", "reused", "ok"]
      )
      assert.strictEqual((yield* relay.messageStatus("twice-1")).length, 1)
    }).pipe(Effect.scoped, Effect.provide(layerBoard()))
  )

  it.live(
    "an id the inbox holds from a commit (a produced message) is reused by another message: refused",
    () =>
      Effect.gen(function* () {
        const app = yield* Application.Application
        const host = app.host(board)
        const boundary = yield* CommitBoundary
        const sent = yield* host.send(
          { _tag: "Note", board: "derived", text: "hi" },
          { messageId: "derived-1" }
        )
        yield* app.settle()
        // Its handling was marked in the inbox under its id; a message under the id of what it produced is not in
        // board's inbox (Noted goes nowhere), but the handled one is.
        const refused = yield* Effect.flip(
          boundary.accept("board", { ...sent, payload: { board: "derived", text: "ho" } })
        )
        assert.strictEqual(refused._tag, "MessageIdReused")
      }).pipe(Effect.scoped, Effect.provide(layerBoard()))
  )

  it.live(
    "a handling whose output no boundary can store is retried by the relay, then parked with the reason",
    () =>
      Effect.gen(function* () {
        const app = yield* Application.Application
        const host = app.host(board)
        const relay = yield* Relay.Relay
        const poisoned = yield* host.send({ _tag: "Note", board: "parked", text: poisonEvent })
        const after = yield* host.send({ _tag: "Note", board: "parked", text: "after" })
        yield* app.settle()
        const [status] = yield* relay.messageStatus(poisoned.messageId)
        assert.strictEqual(status?.status, "parked")
        assert.include(status?.lastError ?? "", "OutputRejected")
        assert.include(status?.lastError ?? "", "payload.text: contains a NUL character")
        assert.strictEqual((yield* relay.messageStatus(after.messageId))[0]?.status, "processed")
        assert.deepStrictEqual((yield* host.state("parked"))?.texts, ["after"])
      }).pipe(Effect.scoped, Effect.provide(layerBoard()))
  )
})
