import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Simulation from "../../src/testing/Simulation.js"
import * as Deadline from "../app/deadlineHost.js"
import * as Deadlines from "./deadlineSimulation.js"

// Scheduled messages under the simulator: deadlines fire on virtual time through crashes before and after their
// firing, duplicate firings and delays; cancellations race the firings both ways. Printed seeds reproduce a failure.

const seeds = 300

describe("timers under the simulator", () => {
  it.effect(`${seeds} seeds: deadlines fire once, never early, never after a winning cancel`, () =>
    Effect.gen(function* () {
      const totals = {
        scheduled: 0,
        fired: 0,
        cancelledBeforeDue: 0,
        cancelledWhileDue: 0,
        cancelledTooLate: 0,
        faultsOnTimers: 0
      }
      // The firing won the race with a payment: the order expired, and the payment made meanwhile comes too late.
      let paidTooLate = 0
      const coverage = Simulation.atConvergence("(coverage counter)", (world) => {
        for (const [key, order] of Simulation.statesOf(world, Deadline.shop)) {
          if (order.status === "Expired" && world.state(Deadline.payments, key)?.paid === true) paidTooLate++
        }
      })
      const options = Deadlines.options()
      const summary = yield* Simulation.check(
        { ...options, invariants: [...(options.invariants ?? []), coverage] },
        {
          seeds,
          onProgress: (_, run) =>
            Effect.sync(() => {
              for (const key of Object.keys(run.stats.timers) as Array<keyof typeof run.stats.timers>)
                totals[key] += run.stats.timers[key]
              // A fault on the handing over of a scheduled message: crash before/after its firing, or a duplicate.
              totals.faultsOnTimers += run.trace.filter(
                (line) => /@c\d+\.t0#\d+ PaymentDeadline/.test(line) && /dies|again/.test(line)
              ).length
            })
        }
      )
      assert.strictEqual(summary.seeds, seeds)
      assert.isAbove(totals.scheduled, 500)
      assert.isAbove(totals.fired, 200)
      assert.isAbove(totals.cancelledBeforeDue, 50)
      // Both sides of the race between a cancel and the firing happen within the budget.
      assert.isAbove(totals.cancelledWhileDue, 5, "cancel won the race (due, not yet handed over)")
      assert.isAbove(paidTooLate, 5, "the firing won the race")
      assert.isAbove(totals.cancelledTooLate, 0, "a cancel after a firing whose handling was lost")
      assert.isAbove(totals.faultsOnTimers, 20, "crashes and duplicates on fired timers")
    })
  )

  it.effect("a store whose cancel leaves the row is caught, with a seed and a minimal trace", () =>
    Effect.gen(function* () {
      const options = { ...Deadlines.options(), store: { broken: "cancel" } } as const
      const failed = yield* Effect.flip(Simulation.check(options, { seeds }))
      assert.strictEqual(failed.violation.invariant, Simulation.boundaryInvariants.cancelHolds)
      const again = yield* Effect.flip(Simulation.reproduce(options, failed.seed))
      assert.deepStrictEqual(again.violation, failed.violation)
      assert.match(failed.message, new RegExp(`seed ${failed.seed}`))
    })
  )
})
