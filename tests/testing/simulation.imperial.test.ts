import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Simulation from "../../src/testing/Simulation.js"
import * as Imperial from "./imperialSimulation.js"

// Rondel and Accounting under the deterministic simulator: seeded interleavings, crashes at every crash point,
// duplicate deliveries and sends, held lanes and killed processes, over the simulated durable store.

/** The default seed budget of `npm test`. */
const seeds = 500

describe("Imperial under the simulator", () => {
  it.effect(`${seeds} seeds: every invariant holds through crashes, duplicates, delays and reordering`, () =>
    Effect.gen(function* () {
      // Counts what the runs went through, so the test proves the interesting flows were exercised.
      const seen = new Map<string, number>()
      const count = (name: string, n = 1) => seen.set(name, (seen.get(name) ?? 0) + n)
      const coverage = Simulation.atConvergence("(coverage counter)", (world) => {
        for (const host of ["rondel", "accounting"]) {
          for (const entry of world.audit(host)) {
            for (const event of entry.events) {
              const reason = (event.payload as { readonly reason?: string }).reason
              count(reason === undefined ? event.type : `${event.type}:${reason}`)
            }
          }
        }
        count("duplicate sends dropped", world.sent.length - new Set(world.sent.map((e) => e.messageId)).size)
      })

      const summary = yield* Simulation.check(
        { ...Imperial.options(), invariants: [...Imperial.invariants, coverage] },
        { seeds }
      )

      assert.strictEqual(summary.seeds, seeds)
      for (const [kind, n] of Object.entries(summary.faults)) assert.isAbove(n, 20, `${kind} injected`)
      assert.isAbove(summary.duplicatesDropped, 100)
      for (const flow of [
        "ActionDetermined",
        "MovementAwaitingPayment",
        "RondelInvoicePaid",
        "RondelInvoicePaymentFailed:InsufficientFunds",
        "HeldUntilAccountsOpen",
        "MoveToActionSpaceRejected:Superseded",
        "MoveToActionSpaceRejected:PaymentFailed",
        "MoveToActionSpaceRejected:NationNotInGame",
        "MoveToActionSpaceRejected:UnknownGame",
        "RondelChargeRefunded",
        "FundsDeposited",
        "duplicate sends dropped"
      ]) {
        assert.isAbove(seen.get(flow) ?? 0, 10, flow)
      }
    })
  )

  it.effect("the same seed gives the same run step for step; different seeds give different runs", () =>
    Effect.gen(function* () {
      const options = Imperial.options()
      const first = yield* Simulation.run(options, 4242)
      const second = yield* Simulation.run(options, 4242)
      const other = yield* Simulation.run(options, 4243)

      assert.isAbove(first.trace.length, 20)
      assert.deepStrictEqual(second.trace, first.trace)
      assert.deepStrictEqual(second.decisions, first.decisions)
      assert.deepStrictEqual(second.stats, first.stats)
      assert.notDeepEqual(other.trace, first.trace)
      assert.isTrue(first.converged)
    })
  )

  describe("a deliberately broken store is caught within the default seed budget; its seed reproduces", () => {
    const cases = [
      // Imperial's transitions are idempotent (ARCHITECTURE.md "Rules", 4), so only the boundary's own check sees the duplicate.
      { broken: "inbox", invariant: Simulation.boundaryInvariants.atMostOnce },
      // Outbox rows written after the state: a crash in between loses them. A lost charge or outcome is compensated
      // by the move's payment deadline, but a lost void leaves Accounting paid for a move Rondel did not complete.
      { broken: "outbox", invariant: Imperial.paidMovesEnd.name },
      { broken: "order", invariant: Simulation.boundaryInvariants.perKeyOrder }
    ] as const
    for (const { broken, invariant } of cases) {
      it.effect(`broken ${broken}: fails "${invariant}" with a seed, a minimal trace, and reproduces`, () =>
        Effect.gen(function* () {
          const options = Imperial.options(broken)
          const failed = yield* Effect.flip(Simulation.check(options, { seeds }))

          assert.strictEqual(failed.violation.invariant, invariant)
          assert.include(failed.message, `seed ${failed.seed}`)
          assert.include(failed.message, "Minimal trace")
          assert.isAtMost(failed.minimal.stats.steps, failed.run.stats.steps)
          assert.isTrue(failed.minimal.violations.some((v) => v.invariant === invariant))
          if (broken === "outbox") {
            assert.isTrue(
              failed.run.violations.some((v) => v.invariant === Simulation.boundaryInvariants.noneLost)
            )
          }

          // The seed alone reproduces the run and its shrunk trace, step for step.
          const again = yield* Effect.flip(Simulation.reproduce(options, failed.seed))
          assert.deepStrictEqual(again.run.trace, failed.run.trace)
          assert.deepStrictEqual(again.minimal.trace, failed.minimal.trace)
          assert.strictEqual(again.message, failed.message)

          // And the same seeds hold on the correct store: the store, not the workload, is at fault.
          const fixed = yield* Simulation.run(Imperial.options(), failed.seed)
          assert.deepStrictEqual(fixed.violations, [])
        })
      )
    }
  })
})
