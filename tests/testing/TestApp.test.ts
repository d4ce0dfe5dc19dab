import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Either, Schedule, Schema } from "effect"
import * as Decision from "../../src/commit/Decision.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"
import * as GivenWhenThen from "../../src/testing/GivenWhenThen.js"
import * as TestApp from "../../src/testing/TestApp.js"

// A generic host, nothing Imperial: counters that add numbers and publish each sum; a watcher that subscribes.

const Add = Schema.Struct({ counter: Schema.String, n: Schema.Int })
type Add = typeof Add.Type
interface Added {
  readonly counter: string
  readonly total: number
}
const Counter = Schema.Struct({ total: Schema.Number, seen: Schema.Array(Schema.String) })
type Counter = typeof Counter.Type

const counter = HostDefinition.make<Counter, Add, Added, never>({
  name: "counter",
  state: Counter,
  consumes: ["Add"],
  publishes: ["Added"],
  sends: [],
  decode: (message) =>
    Either.mapLeft(Schema.decodeUnknownEither(Add)(message.payload), (error) => ({ message: error.message })),
  // `send` encodes the Add it accepts; `decide` emits Added: a message with `n` is an Add.
  encode: (message) =>
    "n" in message
      ? { type: "Add", version: 1, payload: message }
      : { type: "Added", version: 1, payload: message },
  keyOf: (message) => message.counter,
  decide: (state, message, ctx) => {
    if (state?.seen.includes(ctx.messageId)) return Decision.none
    const total = (state?.total ?? 0) + message.n
    return Decision.make({
      state: { total, seen: [...(state?.seen ?? []), ctx.messageId] },
      events: [{ counter: message.counter, total }]
    })
  }
})

const watcher = HostDefinition.make<number, Added, never, never>({
  name: "watcher",
  state: Schema.Number,
  consumes: ["Added"],
  publishes: [],
  sends: [],
  decode: (message) => Either.right(message.payload as Added),
  encode: () => ({ type: "never", version: 1, payload: null }),
  keyOf: (message) => message.counter,
  decide: (state) => Decision.make({ state: (state ?? 0) + 1 })
})

const add = (name: string, n: number) =>
  Effect.flatMap(TestApp.host(counter), (host) => host.send({ counter: name, n }))

describe("TestApp", () => {
  it.effect(
    "runs hosts on the memory boundary with deterministic ids and trace context, and records the feed",
    () =>
      Effect.gen(function* () {
        const first = yield* add("a", 2)
        yield* add("a", 3)
        yield* TestApp.settle()

        assert.deepStrictEqual(yield* TestApp.stateOf(counter, "a"), { total: 5, seen: ["t-1", "t-2"] })
        assert.strictEqual(yield* TestApp.stateOf(watcher, "a"), 2)
        assert.strictEqual(first.messageId, "t-1")
        const recorder = yield* TestApp.delivered
        const published = yield* recorder.published({ host: "counter" })
        assert.deepStrictEqual(
          published.map((e) => [e.messageId, e.causationId, e.payload]),
          [
            ["t-1.0", "t-1", { counter: "a", total: 2 }],
            ["t-2.0", "t-2", { counter: "a", total: 5 }]
          ]
        )
        assert.match(published[0]!.traceparent ?? "", /^00-0{31}[1-9a-f]-[\da-f]{16}-01$/)
        assert.deepStrictEqual(
          (yield* recorder.delivered("watcher")).map((e) => e.messageId),
          ["t-1.0", "t-2.0"]
        )
        assert.deepStrictEqual(
          (yield* TestApp.auditOf("counter", "a")).map((e) => [e.seq, e.message.messageId, e.version]),
          [
            [1, "t-1", 1],
            [2, "t-2", 2]
          ]
        )
      }).pipe(Effect.provide(TestApp.layer([counter, watcher], { idPrefix: "t" })))
  )

  it.effect("settle moves the TestClock through restart backoffs", () =>
    Effect.gen(function* () {
      yield* TestApp.crashOn({ host: "counter" }, 2)
      yield* add("b", 1)
      yield* TestApp.settle()
      assert.deepStrictEqual(yield* TestApp.stateOf(counter, "b"), { total: 1, seen: ["m-1"] })
      assert.strictEqual(yield* Clock.currentTimeMillis, 2_000)
    }).pipe(
      Effect.provide(TestApp.layer([counter], { supervision: { backoff: Schedule.spaced("1 second") } }))
    )
  )

  it.effect("settle fails with SettleTimeout when the work outlasts its timeout", () =>
    Effect.gen(function* () {
      yield* TestApp.crashOn({ host: "counter" }, 1)
      yield* add("c", 1)
      const error = yield* Effect.flip(TestApp.settle({ timeout: "1 minute" }))
      assert.deepStrictEqual(
        error._tag === "SettleTimeout" ? [error.timeoutMillis, error.pending] : error,
        [60_000, 2] // the message held for its retry + the restart waiting
      )
      yield* TestApp.settle({ timeout: "2 hours" })
      assert.deepStrictEqual(yield* TestApp.stateOf(counter, "c"), { total: 1, seen: ["m-1"] })
    }).pipe(Effect.provide(TestApp.layer([counter], { supervision: { backoff: Schedule.spaced("1 hour") } })))
  )

  it.effect(
    "closing the layer with work still pending does not wait for it (no hang under the TestClock)",
    () =>
      Effect.gen(function* () {
        const pending = yield* Effect.gen(function* () {
          yield* TestApp.crashOn({ host: "counter" }, 1)
          yield* add("e", 1)
          const host = yield* TestApp.host(counter)
          yield* TestApp.eventually(Effect.map(host.actor.stats, (stats) => stats.restarting === 1))
          return yield* host.actor.stats
        }).pipe(
          Effect.provide(TestApp.layer([counter], { supervision: { backoff: Schedule.spaced("1 hour") } }))
        )
        assert.strictEqual(pending.inFlight, 1)
        assert.strictEqual(yield* Clock.currentTimeMillis, 0)
      })
  )

  it.effect("ask returns the commit report or the typed error; failures are recorded", () =>
    Effect.gen(function* () {
      const envelope = yield* TestApp.envelopeOf(counter, { counter: "d", n: 4 })
      yield* TestApp.failNext("save", 1)
      const error = yield* Effect.flip(TestApp.ask(counter, envelope))
      assert.strictEqual(error._tag, "PersistenceError")
      yield* TestApp.failNext("publish", 1, "watcher")
      const report = yield* TestApp.ask(counter, envelope)
      assert.deepStrictEqual(
        report.failures.map((f) => [f.step, f.to]),
        [["publish", "watcher"]]
      )
      yield* TestApp.settle()
      const recorder = yield* TestApp.delivered
      assert.deepStrictEqual(
        (yield* recorder.handlingFailures).map((f) => f.envelope.messageId),
        [envelope.messageId]
      )
      assert.strictEqual((yield* recorder.deliveryFailures).length, 1)
      assert.isUndefined(yield* TestApp.stateOf(watcher, "d"))
      yield* TestApp.redeliver("watcher", report.failures[0]!.envelope)
      yield* TestApp.settle()
      assert.strictEqual(yield* TestApp.stateOf(watcher, "d"), 1)
    }).pipe(Effect.provide(TestApp.layer([counter, watcher])))
  )
})

describe("GivenWhenThen", () => {
  const counters = GivenWhenThen.for(counter)

  it("drives a host definition's decide", () => {
    counters
      .given({ counter: "x", n: 1 })
      .when({ counter: "x", n: 2 })
      .thenEmits({ events: [{ counter: "x", total: 3 }] })
      .thenState({ total: 3, seen: ["given-1", "when"] })
  })

  it("treats a redelivery (same id) as a duplicate", () => {
    const once = GivenWhenThen.withId("same", { counter: "x", n: 1 })
    counters.given(once).when(once).thenNothing()
  })

  it("fails when the outcome differs", () => {
    assert.throws(() => counters.given().when({ counter: "x", n: 1 }).thenNothing(), /state must not change/)
    assert.throws(() => counters.given().when({ counter: "x", n: 1 }).thenEmits({}), /events/)
  })
})
