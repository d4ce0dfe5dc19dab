import { assert, describe, it } from "@effect/vitest"
import * as BillingId from "../../hosts/contracts/BillingId.js"
import * as RondelMessages from "../../hosts/contracts/RondelMessages.js"
import * as Rondel from "../../hosts/rondel/Rondel.js"
import * as Decision from "../../src/commit/Decision.js"
import { withId } from "../../src/testing/GivenWhenThen.js"
import {
  awaiting,
  charge,
  determined,
  gameId,
  move,
  paid,
  paymentDeadlineMillis,
  paymentFailed,
  rejected,
  rondel,
  start,
  voidCharge
} from "./rondelFixtures.js"

// A paid move schedules a payment deadline for Rondel itself; whichever of the outcome and the deadline comes first
// decides the move, and the other changes nothing.

const deadline = (billingId: string) =>
  RondelMessages.PaymentDeadline.make({
    gameId,
    nation: "Italy",
    billingId: BillingId.BillingId.make(billingId)
  })

// Italy on Investor, then a 5-step move to Factory (4M) waiting for payment under bill-given-3, deadline given-3.t0.
const italyAwaitingFactory = [start(), move("Italy", "Investor"), move("Italy", "Factory")] as const
const timedOut = rejected(
  "Italy",
  "Factory",
  "PaymentTimedOut",
  "no outcome for charge bill-given-3 of 4M by its deadline; the charge is voided"
)

describe("Rondel: payment deadline", () => {
  it("a paid move schedules its deadline for Rondel and keeps the deadline's id with the pending move", () => {
    rondel
      .given(start(), move("Italy", "Investor"))
      .when(withId("m-3", move("Italy", "Factory")))
      .thenEmits({
        events: [awaiting("Italy", "Investor", "Factory", "bill-m-3", 4)],
        commands: [charge("Italy", "bill-m-3", 4)]
      })
      .thenSchedules({ scheduled: [Decision.after(paymentDeadlineMillis, deadline("bill-m-3"))] })
      .thenState((state) =>
        assert.deepStrictEqual(state?.nations[0]?.pending, {
          space: "Factory",
          billingId: BillingId.BillingId.make("bill-m-3"),
          amount: 4,
          deadline: Decision.scheduledId({ messageId: "m-3" as never }, 0)
        })
      )
  })

  it("a free move schedules nothing", () => {
    rondel.given(start(), move("Italy", "Investor")).when(move("Italy", "Import")).thenSchedules({})
  })

  it("the payment coming first cancels the deadline", () => {
    rondel
      .given(...italyAwaitingFactory)
      .when(paid("Italy", "bill-given-3", 4))
      .thenEmits({ events: [determined("Italy", "Factory")] })
      .thenSchedules({ cancelled: ["given-3.t0"] })
  })

  it("a failed payment coming first cancels the deadline too", () => {
    rondel
      .given(...italyAwaitingFactory)
      .when(paymentFailed("Italy", "bill-given-3", 4))
      .thenSchedules({ cancelled: ["given-3.t0"] })
  })

  it("a superseding move cancels the old deadline and schedules its own", () => {
    rondel
      .given(...italyAwaitingFactory)
      .when(withId("m-9", move("Italy", "ProductionTwo")))
      .thenEmits({
        events: [
          rejected("Italy", "Factory", "Superseded", "superseded by a move to ProductionTwo"),
          awaiting("Italy", "Investor", "ProductionTwo", "bill-m-9", 6)
        ],
        commands: [voidCharge("Italy", "bill-given-3"), charge("Italy", "bill-m-9", 6)]
      })
      .thenSchedules({
        scheduled: [Decision.after(paymentDeadlineMillis, deadline("bill-m-9"))],
        cancelled: ["given-3.t0"]
      })
  })

  it("the deadline coming first voids the charge, keeps the position and rejects the move as PaymentTimedOut", () => {
    rondel
      .given(...italyAwaitingFactory)
      .when(deadline("bill-given-3"))
      .thenEmits({ events: [timedOut], commands: [voidCharge("Italy", "bill-given-3")] })
      .thenSchedules({})
      .thenState((state) =>
        assert.deepStrictEqual(Rondel.positions(state!)[0], {
          nation: "Italy",
          current: "Investor",
          pending: null
        })
      )
  })

  it("an outcome after the timeout is ignored: its pending payment is gone", () => {
    const afterTimeout = rondel.given(...italyAwaitingFactory, deadline("bill-given-3"))
    afterTimeout.when(paid("Italy", "bill-given-3", 4)).thenNothing()
    afterTimeout.when(paymentFailed("Italy", "bill-given-3", 4)).thenNothing()
  })

  it("a deadline that lost the race with its cancel (paid, failed, superseded, or fired twice) changes nothing", () => {
    rondel
      .given(...italyAwaitingFactory, paid("Italy", "bill-given-3", 4))
      .when(deadline("bill-given-3"))
      .thenNothing()
    rondel
      .given(...italyAwaitingFactory, paymentFailed("Italy", "bill-given-3", 4))
      .when(deadline("bill-given-3"))
      .thenNothing()
    rondel
      .given(...italyAwaitingFactory, move("Italy", "ProductionTwo"))
      .when(deadline("bill-given-3"))
      .thenNothing()
    rondel
      .given(...italyAwaitingFactory, deadline("bill-given-3"))
      .when(deadline("bill-given-3"))
      .thenNothing()
    rondel.given().when(deadline("bill-given-3")).thenNothing()
  })
})
