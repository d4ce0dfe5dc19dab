import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import * as Evolved from "../../examples/evolving/Counter.js"
import { Replay } from "../../src/index.js"
import * as TestApp from "../../src/testing/TestApp.js"

const { definition } = Evolved

describe("examples/evolving: a message and a state that changed shape", () => {
  it("reads a v1 message through its upcast and a v2 message as it is; refuses versions it does not know", () => {
    assert.deepStrictEqual(
      definition.decode({ type: "Increment", version: 1, payload: { counter: "apples", by: 3 } }),
      Either.right(Evolved.Increment.make({ counter: "apples", amount: 3 }))
    )
    assert.deepStrictEqual(
      definition.decode({
        type: "Increment",
        version: 2,
        payload: { counter: "apples", amount: 3, note: "x" }
      }),
      Either.right(Evolved.Increment.make({ counter: "apples", amount: 3, note: "x" }))
    )
    assert.deepStrictEqual(
      definition.decode({ type: "Increment", version: 3, payload: { counter: "apples", amount: 3 } }),
      Either.left({ message: "Increment v3 is not known; this release reads v1, v2" })
    )
    // What v1 carried is checked by v1's Schema, and what the lift makes by today's: by 0 is no positive amount.
    const refused = definition.decode({
      type: "Increment",
      version: 1,
      payload: { counter: "apples", by: 0 }
    })
    assert.isTrue(Either.isLeft(refused))
    assert.include(
      Either.isLeft(refused) ? refused.left.message : "",
      "Invalid Increment message (v1): amount"
    )
  })

  it("writes messages at the current version", () => {
    assert.deepStrictEqual(definition.encode(Evolved.Increment.make({ counter: "apples", amount: 2 })), {
      type: "Increment",
      version: 2,
      payload: { _tag: "Increment", counter: "apples", amount: 2 }
    })
    assert.strictEqual(
      definition.encode(Evolved.Incremented.make({ counter: "apples", value: 2 })).version,
      1
    )
  })

  it("loads a state stored at v1 (no schemaVersion) and stores v2", () => {
    const decode = Schema.decodeUnknownSync(definition.state)
    assert.deepStrictEqual(decode({ value: 7 }), { value: 7, increments: 0 })
    assert.deepStrictEqual(decode({ schemaVersion: 1, value: 7 }), { value: 7, increments: 0 })
    assert.deepStrictEqual(Schema.encodeSync(definition.state)({ value: 7, increments: 2 }), {
      schemaVersion: 2,
      value: 7,
      increments: 2
    })
    assert.throws(
      () => decode({ schemaVersion: 3, value: 7 }),
      /a state stored at v3; this release reads v1, v2/
    )
  })

  it.effect(
    "a v1 message from an old client is handled, and replay reads the v1 entry of the audit log",
    () =>
      Effect.gen(function* () {
        const host = yield* TestApp.host(definition)
        yield* host.sendWire({ type: "Increment", version: 1, payload: { counter: "apples", by: 3 } })
        yield* host.send(Evolved.Increment.make({ counter: "apples", amount: 4 }))
        yield* TestApp.settle()
        assert.deepStrictEqual(yield* host.state("apples"), { value: 7, increments: 2 })
        const log = yield* host.audit("apples")
        assert.deepStrictEqual(
          log.map((entry) => entry.message.version),
          [1, 2]
        )
        assert.deepStrictEqual(Replay.replay(definition, log).get("apples"), { value: 7, increments: 2 })
      }).pipe(Effect.provide(TestApp.layer([definition])))
  )
})
