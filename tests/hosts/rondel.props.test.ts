import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as RondelState from "../../hosts/rondel/RondelState.js"
import * as GivenWhenThen from "../../src/testing/GivenWhenThen.js"
import { move, paid, paymentFailed, rondel, start } from "./rondelFixtures.js"

type Delivery = GivenWhenThen.Delivery<Contracts.RondelInbound>
type Step = GivenWhenThen.Step<
  RondelState.RondelState,
  Contracts.RondelInbound,
  Contracts.RondelEvent,
  Contracts.RondelOutbound
>

const players = ["Italy", "France", "Germany"] as const
const outsider: Nation.Nation = "Russia"

/** What a test run does next; payment outcomes pick a billing id Rondel issued (current or stale) at that point. */
type Action =
  | { readonly _tag: "Move"; readonly nation: Nation.Nation; readonly space: Space.Space }
  | { readonly _tag: "Paid"; readonly pick: number }
  | { readonly _tag: "Failed"; readonly pick: number }
  | { readonly _tag: "Start" }

const moveOf = (nations: ReadonlyArray<Nation.Nation>) =>
  fc.record({
    _tag: fc.constant("Move" as const),
    nation: fc.constantFrom(...nations),
    space: fc.constantFrom(...Space.Spaces)
  })

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: moveOf(players) },
  { weight: 1, arbitrary: moveOf([outsider]) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("Paid" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Failed" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Start" as const) }) }
)
const actions = fc.array(action, { minLength: 1, maxLength: 60, size: "medium" })

/** Turns actions into concrete deliveries by handling them once; payment outcomes target issued billing ids. */
const play = (
  plan: ReadonlyArray<Action>
): { readonly deliveries: ReadonlyArray<Delivery>; readonly steps: ReadonlyArray<Step> } => {
  const deliveries: Array<Delivery> = [GivenWhenThen.withId("m-start", start(players))]
  const steps: Array<Step> = [rondel.apply(undefined, deliveries[0]!, 0)]
  const issued: Array<{ nation: Nation.Nation; billingId: string; amount: number }> = []
  plan.forEach((next, i) => {
    const state = steps.at(-1)!.after!
    const current = state.nations.flatMap((n) =>
      n.pending === null
        ? []
        : [{ nation: n.nation, billingId: n.pending.billingId, amount: n.pending.amount }]
    )
    // Current pendings twice, so outcomes hit a live charge more often than a stale one.
    const candidates = [...current, ...current, ...issued]
    const target = (pick: number) => candidates[pick % Math.max(1, candidates.length)]
    let message: Contracts.RondelInbound | undefined
    switch (next._tag) {
      case "Move":
        message = move(next.nation, next.space)
        break
      case "Start":
        message = start(["Italy", "Russia"])
        break
      case "Paid": {
        const t = target(next.pick)
        message = t === undefined ? paid("Italy", "bill-never", 2) : paid(t.nation, t.billingId, t.amount)
        break
      }
      case "Failed": {
        const t = target(next.pick)
        message =
          t === undefined
            ? paymentFailed("Italy", "bill-never", 2)
            : paymentFailed(t.nation, t.billingId, t.amount)
        break
      }
    }
    const delivery = GivenWhenThen.withId(`m-${i}`, message, 1_000 * (i + 1))
    const step = rondel.apply(state, delivery, i + 1)
    for (const command of step.decision.commands) {
      if (command._tag === "ChargeMovement") issued.push(command)
    }
    deliveries.push(delivery)
    steps.push(step)
  })
  return { deliveries, steps }
}

const positionOf = (state: RondelState.RondelState | undefined, nation: Nation.Nation) =>
  state?.nations.find((n) => n.nation === nation)

describe("Rondel properties", () => {
  it.prop(
    "handling every message twice (same id) gives the same state and outputs as once",
    [actions],
    ([plan]) => {
      const { deliveries, steps } = play(plan)
      let state: RondelState.RondelState | undefined
      const events: Array<Contracts.RondelEvent> = []
      const commands: Array<Contracts.RondelOutbound> = []
      deliveries.forEach((delivery, i) => {
        const first = rondel.apply(state, delivery, i)
        const second = rondel.apply(first.after, delivery, i)
        events.push(...first.decision.events, ...second.decision.events)
        commands.push(...first.decision.commands, ...second.decision.commands)
        state = second.after
      })
      assert.deepStrictEqual(state, steps.at(-1)!.after)
      assert.deepStrictEqual(
        events,
        steps.flatMap((s) => s.decision.events)
      )
      assert.deepStrictEqual(
        commands,
        steps.flatMap((s) => s.decision.commands)
      )
    }
  )

  it.prop(
    "every nation is always off the wheel or on a valid space, and the state stays storable",
    [actions],
    ([plan]) => {
      for (const { after } of play(plan).steps) {
        assert.isTrue(Schema.is(RondelState.RondelState)(after))
        for (const entry of after!.nations) {
          assert.isTrue(entry.position === null || Space.Spaces.includes(entry.position))
          // A pending move always starts on the wheel (the first move is free).
          assert.isTrue(entry.pending === null || entry.position !== null)
        }
        const json = Schema.encodeSync(RondelState.RondelStateFromJson)(after!)
        assert.deepStrictEqual(Schema.decodeUnknownSync(RondelState.RondelStateFromJson)(json), after)
      }
    }
  )

  it.prop("no move of more than 3 spaces completes without a confirmed payment", [actions], ([plan]) => {
    for (const { message, before, after, decision } of play(plan).steps) {
      const determined = decision.events.filter((e) => e._tag === "ActionDetermined")
      for (const nation of players) {
        const was = positionOf(before, nation)
        const now = positionOf(after, nation)
        if ((was?.position ?? null) === (now?.position ?? null)) {
          assert.isFalse(
            determined.some((e) => e.nation === nation),
            "no action without a move"
          )
          continue
        }
        assert.deepStrictEqual(
          determined.map((e) => [e.nation, e.space, e.action]),
          [[nation, now!.position!, Space.actionOf(now!.position!)]]
        )
        if (message._tag === "Move") {
          assert.strictEqual(message.nation, nation)
          assert.isTrue(
            was!.position === null || Space.clockwiseSteps(was!.position, now!.position!) <= 3,
            `free move of ${was!.position} → ${now!.position}`
          )
        } else if (message._tag === "RondelInvoicePaid") {
          assert.strictEqual(message.nation, nation)
          assert.deepStrictEqual(
            [was?.pending?.billingId, was?.pending?.space],
            [message.billingId, now!.position]
          )
        } else {
          assert.fail(`${nation} moved on ${message._tag}`)
        }
      }
    }
  })

  it.prop("a charge is sent exactly for moves of 4 to 6 spaces, at (steps − 3) × 2M", [actions], ([plan]) => {
    for (const { message, before, decision } of play(plan).steps) {
      for (const command of decision.commands) {
        if (command._tag !== "ChargeMovement") continue
        assert.strictEqual(message._tag, "Move")
        const from = positionOf(before, command.nation)!.position!
        const steps = Space.clockwiseSteps(from, message._tag === "Move" ? message.space : from)
        assert.isTrue(steps >= 4 && steps <= 6)
        assert.strictEqual(command.amount, (steps - 3) * 2)
      }
    }
  })
})
