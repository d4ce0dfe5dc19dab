import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as Amount from "../../hosts/contracts/Amount.js"
import * as Contracts from "../../hosts/contracts/Contracts.js"
import * as InvalidMessage from "../../hosts/contracts/InvalidMessage.js"
import * as Nation from "../../hosts/contracts/Nation.js"
import * as Space from "../../hosts/contracts/Space.js"

const move = { gameId: "game-1", nation: "Italy", space: "Taxation" }
const chargeMovement = { gameId: "game-1", nation: "Italy", billingId: "bill-1", amount: 2 }

/** Decodes and returns the error, failing the test when decoding succeeds. */
const invalid = (type: string, version: number, payload: unknown): InvalidMessage.InvalidMessage =>
  Either.match(Contracts.decodeMessage(type, version, payload), {
    onLeft: (error) => error,
    onRight: (message) => assert.fail(`expected ${type} to be rejected, got ${JSON.stringify(message)}`)
  })

const assertInvalid = (
  error: InvalidMessage.InvalidMessage,
  expected: { readonly messageType: string; readonly field: string; readonly problem: string }
) => {
  assert.instanceOf(error, InvalidMessage.InvalidMessage)
  assert.deepStrictEqual(
    { messageType: error.messageType, field: error.field, problem: error.problem },
    expected
  )
}

describe("Contracts: decoding untrusted payloads", () => {
  it("decodes a valid payload with or without its _tag", () => {
    assert.deepStrictEqual(
      Contracts.decodeMessage("Move", 1, move),
      Either.right({ _tag: "Move", ...move } as any)
    )
    assert.deepStrictEqual(
      Contracts.decodeMessage("Move", 1, { _tag: "Move", ...move }),
      Either.right({ _tag: "Move", ...move } as any)
    )
  })

  it("names an empty id", () => {
    assertInvalid(invalid("Move", 1, { ...move, gameId: "" }), {
      messageType: "Move",
      field: "gameId",
      problem: "must not be empty"
    })
    assertInvalid(invalid("ChargeMovement", 1, { ...chargeMovement, billingId: "  " }), {
      messageType: "ChargeMovement",
      field: "billingId",
      problem: "must not be empty"
    })
  })

  it("names a malformed id", () => {
    assertInvalid(invalid("Move", 1, { ...move, gameId: " game 1" }), {
      messageType: "Move",
      field: "gameId",
      problem: 'must be 1–64 letters, digits or "_.:-", starting with a letter or digit; got " game 1"'
    })
    assert.strictEqual(invalid("Move", 1, { ...move, gameId: "g".repeat(65) }).field, "gameId")
    assertInvalid(invalid("ChargeMovement", 1, { ...chargeMovement, billingId: " bill-1" }), {
      messageType: "ChargeMovement",
      field: "billingId",
      problem: 'must not start or end with whitespace; got " bill-1"'
    })
    assert.strictEqual(invalid("Move", 1, { ...move, gameId: 42 }).problem, "Expected string, actual 42")
  })

  it("lists the valid nations for an unknown nation, at its position in a list", () => {
    const valid = "Austria-Hungary, Italy, France, Great Britain, Germany, Russia"
    assertInvalid(invalid("Move", 1, { ...move, nation: "Spain" }), {
      messageType: "Move",
      field: "nation",
      problem: `must be one of ${valid}; got "Spain"`
    })
    assertInvalid(
      invalid("SetToStartingPositions", 1, { gameId: "game-1", nations: ["Italy", "France", "italy"] }),
      {
        messageType: "SetToStartingPositions",
        field: "nations[2]",
        problem: `must be one of ${valid}; got "italy"`
      }
    )
  })

  it("lists the valid spaces for an unknown space", () => {
    assertInvalid(invalid("Move", 1, { ...move, space: "Production" }), {
      messageType: "Move",
      field: "space",
      problem: `must be one of ${Space.Spaces.join(", ")}; got "Production"`
    })
  })

  it("refuses an empty nation list and collapses duplicates", () => {
    assertInvalid(invalid("SetToStartingPositions", 1, { gameId: "game-1", nations: [] }), {
      messageType: "SetToStartingPositions",
      field: "nations",
      problem: "must name at least one nation"
    })
    assertInvalid(invalid("OpenAccounts", 1, { gameId: "game-1", nations: [], startingBalance: 10 }), {
      messageType: "OpenAccounts",
      field: "nations",
      problem: "must name at least one nation"
    })
    assert.deepStrictEqual(
      Contracts.decodeMessage("SetToStartingPositions", 1, {
        gameId: "game-1",
        nations: ["France", "Italy", "France", "Russia", "Italy"]
      }),
      Either.right({
        _tag: "SetToStartingPositions",
        gameId: "game-1",
        nations: ["France", "Italy", "Russia"]
      } as any)
    )
  })

  it("refuses negative, zero and fractional amounts where they are not allowed", () => {
    assertInvalid(invalid("ChargeMovement", 1, { ...chargeMovement, amount: -2 }), {
      messageType: "ChargeMovement",
      field: "amount",
      problem: "must be more than zero; got -2"
    })
    assertInvalid(invalid("Deposit", 1, { gameId: "game-1", nation: "Italy", amount: 0 }), {
      messageType: "Deposit",
      field: "amount",
      problem: "must be more than zero; got 0"
    })
    assertInvalid(invalid("Deposit", 1, { gameId: "game-1", nation: "Italy", amount: 2.5 }), {
      messageType: "Deposit",
      field: "amount",
      problem: "must be a whole number of millions; got 2.5"
    })
    assertInvalid(invalid("OpenAccounts", 1, { gameId: "game-1", nations: ["Italy"], startingBalance: -1 }), {
      messageType: "OpenAccounts",
      field: "startingBalance",
      problem: "must not be negative; got -1"
    })
    assert.isTrue(
      Either.isRight(
        Contracts.decodeMessage("OpenAccounts", 1, { gameId: "g", nations: ["Italy"], startingBalance: 0 })
      )
    )
  })

  it("refuses amounts past the limit, saying the limit, so every sum of balances stays exact", () => {
    assertInvalid(
      invalid("Deposit", 1, { gameId: "game-1", nation: "Italy", amount: Number.MAX_SAFE_INTEGER }),
      {
        messageType: "Deposit",
        field: "amount",
        problem: `must be at most ${Amount.limit} (millions); got 9007199254740991`
      }
    )
    assertInvalid(invalid("ChargeMovement", 1, { ...chargeMovement, amount: 1e20 }), {
      messageType: "ChargeMovement",
      field: "amount",
      problem: `must be at most ${Amount.limit} (millions); got 100000000000000000000`
    })
    assertInvalid(
      invalid("OpenAccounts", 1, { gameId: "game-1", nations: ["Italy"], startingBalance: Amount.limit + 1 }),
      {
        messageType: "OpenAccounts",
        field: "startingBalance",
        problem: `must be at most ${Amount.limit} (millions); got ${Amount.limit + 1}`
      }
    )
    assert.isTrue(
      Either.isRight(
        Contracts.decodeMessage("Deposit", 1, { gameId: "g", nation: "Italy", amount: Amount.limit })
      )
    )
    // Every nation at the limit, and the bank owing all of it, is still an exact integer.
    assert.isTrue(Number.isSafeInteger(-Amount.limit * Nation.Nations.length))
  })

  it("names a missing field", () => {
    const { space: _, ...withoutSpace } = move
    assertInvalid(invalid("Move", 1, withoutSpace), {
      messageType: "Move",
      field: "space",
      problem: "is missing"
    })
    assertInvalid(invalid("VoidCharge", 1, { gameId: "game-1", nation: "Italy" }), {
      messageType: "VoidCharge",
      field: "billingId",
      problem: "is missing"
    })
  })

  it("refuses a payload that is not an object", () => {
    for (const [payload, kind] of [
      [null, "null"],
      ["Move Italy", "a string"],
      [7, "a number"],
      [[move], "an array"],
      [undefined, "nothing"]
    ] as const) {
      assertInvalid(invalid("Move", 1, payload), {
        messageType: "Move",
        field: "",
        problem: `payload must be a JSON object; got ${kind}`
      })
    }
  })

  it("refuses a payload whose _tag contradicts the envelope's type", () => {
    assertInvalid(invalid("Move", 1, { ...move, _tag: "Deposit" }), {
      messageType: "Move",
      field: "_tag",
      problem: 'must be "Move" (the envelope\'s type) or absent; got "Deposit"'
    })
  })

  it("refuses an unknown message type and lists the known ones", () => {
    const error = invalid("Teleport", 1, move)
    assert.strictEqual(error.field, "")
    assert.strictEqual(
      error.problem,
      `unknown message type; known types: ${Contracts.registry.types.join(", ")}`
    )
    assert.include(error.problem, "SetToStartingPositions")
    assert.include(error.problem, "RondelChargeRefunded")
  })

  it("refuses a version this release does not read", () => {
    for (const version of [0, 2, 3]) {
      assertInvalid(invalid("Move", version, move), {
        messageType: "Move",
        field: "",
        problem: `Move v${version} is not known; this release reads v1`
      })
    }
  })

  it("gives a readable message for printing", () => {
    assert.strictEqual(
      invalid("Move", 1, { ...move, nation: "Spain" }).message,
      `Invalid Move message: nation must be one of ${Nation.Nations.join(", ")}; got "Spain"`
    )
    assert.strictEqual(
      invalid("Move", 3, move).message,
      "Invalid Move message: Move v3 is not known; this release reads v1"
    )
  })

  it("survives encoding as a Schema.TaggedError (it crosses boundaries)", () => {
    const error = invalid("Move", 1, { ...move, space: "Moon" })
    const encoded = Schema.encodeSync(InvalidMessage.InvalidMessage)(error)
    assert.deepStrictEqual(Schema.decodeUnknownSync(InvalidMessage.InvalidMessage)(encoded), error)
  })
})

describe("Contracts: message sets per host", () => {
  it("lists each set's type names", () => {
    assert.deepStrictEqual(Contracts.RondelInboundTypes, [
      "SetToStartingPositions",
      "Move",
      "RondelInvoicePaid",
      "RondelInvoicePaymentFailed",
      "PaymentDeadline"
    ])
    assert.deepStrictEqual(Contracts.RondelScheduledTypes, ["PaymentDeadline"])
    assert.deepStrictEqual(Contracts.RondelOutboundTypes, ["ChargeMovement", "VoidCharge"])
    assert.deepStrictEqual(Contracts.AccountingInboundTypes, [
      "OpenAccounts",
      "ChargeMovement",
      "VoidCharge",
      "Deposit"
    ])
    assert.deepStrictEqual(Contracts.RondelEventTypes, [
      "PositionedAtStart",
      "ActionDetermined",
      "MoveToActionSpaceRejected",
      "MovementAwaitingPayment"
    ])
    assert.deepStrictEqual(Contracts.AccountingEventTypes, [
      "AccountsOpened",
      "RondelInvoicePaid",
      "RondelInvoicePaymentFailed",
      "RondelChargeRefunded",
      "FundsDeposited",
      "DepositRejected",
      "HeldUntilAccountsOpen"
    ])
  })

  it("registers every message of every set at version 1", () => {
    const all = new Set([
      ...Contracts.RondelInboundTypes,
      ...Contracts.RondelEventTypes,
      ...Contracts.RondelOutboundTypes,
      ...Contracts.AccountingInboundTypes,
      ...Contracts.AccountingEventTypes
    ])
    assert.deepStrictEqual(new Set(Contracts.registry.types), all)
    for (const type of Contracts.registry.types) assert.strictEqual(Contracts.registry.versionOf(type), 1)
  })

  it("lets a host decode only what it accepts", () => {
    assert.isTrue(Either.isRight(Contracts.decodeRondelInbound("Move", 1, move)))
    assert.isTrue(Either.isRight(Contracts.decodeAccountingInbound("ChargeMovement", 1, chargeMovement)))
    assertInvalid(
      Either.flip(Contracts.decodeRondelInbound("ChargeMovement", 1, chargeMovement)).pipe(Either.getOrThrow),
      {
        messageType: "ChargeMovement",
        field: "",
        problem: `Rondel does not accept ChargeMovement; it accepts ${Contracts.RondelInboundTypes.join(", ")}`
      }
    )
    assertInvalid(Either.flip(Contracts.decodeAccountingInbound("Move", 1, move)).pipe(Either.getOrThrow), {
      messageType: "Move",
      field: "",
      problem: `Accounting does not accept Move; it accepts ${Contracts.AccountingInboundTypes.join(", ")}`
    })
  })
})

const AnyMessage = Schema.Union(
  Contracts.RondelInbound,
  Contracts.RondelEvents,
  Contracts.RondelOutbound,
  Contracts.AccountingInbound,
  Contracts.AccountingEvents
)

describe("Contracts: encoding", () => {
  it("encodes at the current version with the type name", () => {
    assert.deepStrictEqual(Contracts.encodeMessage({ _tag: "Move", ...move } as Contracts.Message), {
      type: "Move",
      version: 1,
      payload: { _tag: "Move", ...move }
    })
  })

  it.prop("every message survives encode → JSON → decode", [AnyMessage], ([message]) => {
    const { type, version, payload } = Contracts.encodeMessage(message)
    assert.strictEqual(type, message._tag)
    const decoded = Contracts.decodeMessage(type, version, JSON.parse(JSON.stringify(payload)))
    assert.deepStrictEqual(decoded, Either.right(message))
  })
})
