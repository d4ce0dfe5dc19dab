import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as Space from "../../hosts/contracts/Space.js"
import * as Rondel from "../../hosts/rondel/Rondel.js"
import * as RondelState from "../../hosts/rondel/RondelState.js"
import { withId } from "../../src/testing/GivenWhenThen.js"
import {
  awaiting,
  charge,
  determined,
  gameId,
  messageId,
  move,
  paid,
  paymentFailed,
  rejected,
  rondel,
  start,
  stepsFrom,
  voidCharge
} from "./rondelFixtures.js"

// Italy on Investor, then a 5-step move to Factory (4M) waiting for payment under bill-given-3.
const italyAwaitingFactory = [start(), move("Italy", "Investor"), move("Italy", "Factory")] as const

describe("Rondel: starting positions", () => {
  it("places every nation off the wheel", () => {
    rondel
      .given()
      .when(start(["Italy", "France", "Russia"]))
      .thenEmits({ events: [{ _tag: "PositionedAtStart", gameId, nations: ["Italy", "France", "Russia"] }] })
      .thenState({
        gameId,
        nations: [
          { nation: "Italy", position: null, pending: null },
          { nation: "France", position: null, pending: null },
          { nation: "Russia", position: null, pending: null }
        ],
        recentMoves: []
      })
  })

  it("changes nothing when the game already has starting positions", () => {
    rondel
      .given(start(), move("Italy", "Taxation"))
      .when(start(["Germany"]))
      .thenNothing()
  })
})

describe("Rondel: unknown game or nation", () => {
  it("rejects a move for a game without starting positions and creates no state", () => {
    rondel
      .given()
      .when(move("Italy", "Taxation"))
      .thenEmits({
        events: [rejected("Italy", "Taxation", "UnknownGame", "game game-1 has no starting positions")]
      })
      .thenState((state) => assert.isUndefined(state))
  })

  it("rejects a move for a nation that does not play in the game", () => {
    const outcome = rondel
      .given(start(["Italy", "France"]))
      .when(move("Russia", "Taxation"))
      .thenEmits({
        events: [
          rejected(
            "Russia",
            "Taxation",
            "NationNotInGame",
            "Russia does not play in game-1; Italy, France do"
          )
        ]
      })
    assert.deepStrictEqual(Rondel.positions(outcome.after!), Rondel.positions(outcome.before!))
  })
})

describe("Rondel: first move", () => {
  for (const space of Space.Spaces) {
    it(`goes to ${space} for free and determines ${Space.actionOf(space)} at once`, () => {
      rondel
        .given(start())
        .when(move("France", space))
        .thenEmits({ events: [determined("France", space)] })
        .thenState((state) =>
          assert.deepStrictEqual(Rondel.positions(state!)[1], {
            nation: "France",
            current: space,
            pending: null
          })
        )
    })
  }
})

describe("Rondel: distance and cost from the confirmed position", () => {
  it("rejects standing still (distance 0)", () => {
    rondel
      .given(start(), move("Italy", "Taxation"))
      .when(move("Italy", "Taxation"))
      .thenEmits({
        events: [rejected("Italy", "Taxation", "StandingStill", "already on Taxation; a nation must move")]
      })
      .thenState((state) => assert.strictEqual(Rondel.positions(state!)[0]?.current, "Taxation"))
  })

  for (const steps of [1, 2, 3]) {
    it(`moves ${steps} spaces for free`, () => {
      const target = stepsFrom("Factory", steps)
      rondel
        .given(start(), move("Italy", "Factory"))
        .when(move("Italy", target))
        .thenEmits({ events: [determined("Italy", target)] })
        .thenState((state) => assert.strictEqual(Rondel.positions(state!)[0]?.current, target))
    })
  }

  for (const [steps, cost] of [
    [4, 2],
    [5, 4],
    [6, 6]
  ] as const) {
    it(`charges ${cost}M for ${steps} spaces and keeps the nation where it is until paid`, () => {
      const target = stepsFrom("Factory", steps)
      rondel
        .given(start(), move("Italy", "Factory"))
        .when(move("Italy", target))
        .thenEmits({
          events: [awaiting("Italy", "Factory", target, "bill-when", cost)],
          commands: [charge("Italy", "bill-when", cost)]
        })
        .thenState((state) =>
          assert.deepStrictEqual(Rondel.positions(state!)[0], {
            nation: "Italy",
            current: "Factory",
            pending: { space: target, billingId: "bill-when", amount: cost }
          } as Rondel.Position)
        )
    })
  }

  it("rejects 7 spaces as too far", () => {
    rondel
      .given(start(), move("Italy", "Import"))
      .when(move("Italy", "Investor"))
      .thenEmits({
        events: [
          rejected(
            "Italy",
            "Investor",
            "TooFar",
            "Investor is 7 spaces clockwise from Import; at most 6 are allowed"
          )
        ]
      })
  })

  it("counts clockwise across the top of the wheel", () => {
    rondel
      .given(start(), move("Italy", "ManeuverTwo"))
      .when(move("Italy", "ProductionOne"))
      .thenEmits({ events: [determined("Italy", "ProductionOne")] })
    rondel
      .given(start(), move("Italy", "Taxation"))
      .when(move("Italy", "Investor"))
      .thenEmits({
        events: [awaiting("Italy", "Taxation", "Investor", "bill-when", 2)],
        commands: [charge("Italy", "bill-when", 2)]
      })
  })
})

describe("Rondel: payment outcomes", () => {
  it("moves the nation when the pending charge is paid", () => {
    rondel
      .given(...italyAwaitingFactory)
      .when(paid("Italy", "bill-given-3", 4))
      .thenEmits({ events: [determined("Italy", "Factory")] })
      .thenState((state) =>
        assert.deepStrictEqual(Rondel.positions(state!)[0], {
          nation: "Italy",
          current: "Factory",
          pending: null
        })
      )
  })

  it("drops the pending move and keeps the position when the payment fails", () => {
    rondel
      .given(...italyAwaitingFactory)
      .when(paymentFailed("Italy", "bill-given-3", 4))
      .thenEmits({
        events: [
          rejected("Italy", "Factory", "PaymentFailed", "charge bill-given-3 of 4M failed: InsufficientFunds")
        ]
      })
      .thenState((state) =>
        assert.deepStrictEqual(Rondel.positions(state!)[0], {
          nation: "Italy",
          current: "Investor",
          pending: null
        })
      )
  })

  it("applies a double payment once", () => {
    rondel
      .given(...italyAwaitingFactory, paid("Italy", "bill-given-3", 4))
      .when(paid("Italy", "bill-given-3", 4))
      .thenNothing()
  })

  it("ignores a payment that arrives after the failure of the same charge", () => {
    rondel
      .given(...italyAwaitingFactory, paymentFailed("Italy", "bill-given-3", 4))
      .when(paid("Italy", "bill-given-3", 4))
      .thenNothing()
  })

  it("ignores a failure that arrives after the payment of the same charge", () => {
    rondel
      .given(...italyAwaitingFactory, paid("Italy", "bill-given-3", 4))
      .when(paymentFailed("Italy", "bill-given-3", 4))
      .thenNothing()
  })

  it("ignores outcomes for billing ids it never issued, other nations, or unknown games", () => {
    const given = rondel.given(...italyAwaitingFactory)
    given.when(paid("Italy", "bill-unknown", 4)).thenNothing()
    given.when(paymentFailed("Italy", "bill-unknown", 4)).thenNothing()
    given.when(paid("France", "bill-given-3", 4)).thenNothing()
    rondel
      .given()
      .when(paid("Italy", "bill-given-3", 4))
      .thenNothing()
  })
})

describe("Rondel: a new move while a payment is pending", () => {
  it("supersedes it with a free move: voids the old charge, rejects the old target, completes the new move", () => {
    rondel
      .given(...italyAwaitingFactory)
      .when(move("Italy", "ProductionOne"))
      .thenEmits({
        events: [
          rejected("Italy", "Factory", "Superseded", "superseded by a move to ProductionOne"),
          determined("Italy", "ProductionOne")
        ],
        commands: [voidCharge("Italy", "bill-given-3")]
      })
      .thenState((state) =>
        assert.deepStrictEqual(Rondel.positions(state!)[0], {
          nation: "Italy",
          current: "ProductionOne",
          pending: null
        })
      )
  })

  it("supersedes it with a paid move: voids the old charge and sends a new one", () => {
    rondel
      .given(...italyAwaitingFactory)
      .when(move("Italy", "ProductionTwo"))
      .thenEmits({
        events: [
          rejected("Italy", "Factory", "Superseded", "superseded by a move to ProductionTwo"),
          awaiting("Italy", "Investor", "ProductionTwo", "bill-when", 6)
        ],
        commands: [voidCharge("Italy", "bill-given-3"), charge("Italy", "bill-when", 6)]
      })
  })

  it("measures the new move from the confirmed position, not from the pending target", () => {
    // Investor → Taxation is 4 spaces (paid) although Factory → Taxation would be 7.
    rondel
      .given(...italyAwaitingFactory)
      .when(move("Italy", "Taxation"))
      .thenEmits({
        events: [
          rejected("Italy", "Factory", "Superseded", "superseded by a move to Taxation"),
          awaiting("Italy", "Investor", "Taxation", "bill-when", 2)
        ],
        commands: [voidCharge("Italy", "bill-given-3"), charge("Italy", "bill-when", 2)]
      })
  })

  it("ignores the outcome of the superseded charge", () => {
    const superseded = [...italyAwaitingFactory, move("Italy", "ProductionTwo")] as const
    rondel
      .given(...superseded)
      .when(paid("Italy", "bill-given-3", 4))
      .thenNothing()
    rondel
      .given(...superseded)
      .when(paymentFailed("Italy", "bill-given-3", 4))
      .thenNothing()
    rondel
      .given(...superseded)
      .when(paid("Italy", "bill-given-4", 6))
      .thenEmits({ events: [determined("Italy", "ProductionTwo")] })
  })

  it("rejects an invalid move (standing still, too far) and leaves the pending one alone", () => {
    const pending = rondel.given(...italyAwaitingFactory).state
    rondel
      .given(...italyAwaitingFactory)
      .when(move("Italy", "Investor"))
      .thenEmits({
        events: [rejected("Italy", "Investor", "StandingStill", "already on Investor; a nation must move")]
      })
      .thenState((state) => assert.deepStrictEqual(Rondel.positions(state!), Rondel.positions(pending!)))
    rondel
      .given(start(), move("Italy", "Import"), move("Italy", "ProductionTwo"))
      .when(move("Italy", "Investor"))
      .thenEmits({
        events: [
          rejected(
            "Italy",
            "Investor",
            "TooFar",
            "Investor is 7 spaces clockwise from Import; at most 6 are allowed"
          )
        ]
      })
      .thenState((state) =>
        assert.deepStrictEqual(Rondel.positions(state!)[0]?.pending, {
          space: "ProductionTwo",
          billingId: "bill-given-3",
          amount: 4
        } as Rondel.Position["pending"])
      )
  })
})

describe("Rondel: redelivered moves", () => {
  it("changes nothing for a free move delivered twice", () => {
    rondel
      .given(start(), withId("m-1", move("Italy", "Investor")))
      .when(withId("m-1", move("Italy", "Investor")))
      .thenNothing()
  })

  it("sends no second charge for a paid move delivered twice", () => {
    rondel
      .given(start(), move("Italy", "Investor"), withId("m-2", move("Italy", "Factory")))
      .when(withId("m-2", move("Italy", "Factory")))
      .thenNothing()
  })

  it("does not report a refused move twice", () => {
    rondel
      .given(start(), move("Italy", "Investor"), withId("m-3", move("Italy", "Investor")))
      .when(withId("m-3", move("Italy", "Investor")))
      .thenNothing()
  })

  it("handles the same move again under a new message id (a new request)", () => {
    rondel
      .given(start(), withId("m-1", move("Italy", "Investor")))
      .when(withId("m-2", move("Italy", "Import")))
      .thenEmits({ events: [determined("Italy", "Import")] })
      .thenState((state) => assert.deepStrictEqual(state?.recentMoves, [messageId("m-1"), messageId("m-2")]))
  })

  it("remembers only the newest Move ids, so the state stays small however long the game", () => {
    const moves = Array.from({ length: 1_000 }, (_, i) =>
      withId(`m-${i}`, move("Italy", Space.Spaces[(i % 2) * 2]!))
    )
    const given = rondel.given(start(), ...moves)
    assert.deepStrictEqual(
      given.state?.recentMoves,
      moves.slice(-RondelState.recentLimit).map((m) => m.messageId)
    )
    // A redelivery among the newest changes nothing.
    given.when(moves.at(-RondelState.recentLimit)!).thenNothing()
    assert.isBelow(Schema.encodeSync(RondelState.RondelStateFromJson)(given.state!).length, 4_096)
  })
})

describe("Rondel: queries and stored state", () => {
  const state = rondel.given(
    start(["Italy", "France", "Germany"]),
    move("France", "Taxation"),
    ...italyAwaitingFactory.slice(1)
  ).state!

  it("reports each nation's confirmed space and pending move", () => {
    assert.deepStrictEqual(Rondel.positions(state), [
      {
        nation: "Italy",
        current: "Investor",
        pending: { space: "Factory", billingId: "bill-given-4", amount: 4 }
      },
      { nation: "France", current: "Taxation", pending: null },
      { nation: "Germany", current: null, pending: null }
    ] as ReadonlyArray<Rondel.Position>)
  })

  it("gives an overview of the game", () => {
    assert.deepStrictEqual(Rondel.overview(state), { gameId, nations: ["Italy", "France", "Germany"] })
  })

  it("survives a JSON round trip", () => {
    const json = Schema.encodeSync(RondelState.RondelStateFromJson)(state)
    assert.deepStrictEqual(Schema.decodeUnknownSync(RondelState.RondelStateFromJson)(json), state)
  })
})
