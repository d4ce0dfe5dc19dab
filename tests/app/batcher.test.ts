import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as Batcher from "../../src/pg/internal/batcher.js"

// Group commit: the writer lingers a couple of scheduler turns after the first request, so the requests other
// fibers offer in the same wave share its batch (one database round trip) instead of waiting for the next one.
const batchesOf = (linger: number) =>
  Effect.gen(function* () {
    const batches: Array<ReadonlyArray<number>> = []
    const submit = yield* Batcher.make<number, number, never>(
      (batch) =>
        Effect.sync(() => {
          batches.push(batch)
          return batch.map((n) => Exit.succeed(n * 10))
        }),
      { maxBatch: 64, workers: 1, linger }
    )
    const results = yield* Effect.all([1, 2, 3, 4].map(submit), { concurrency: "unbounded" })
    return { batches, results }
  })

describe("group-commit batcher", () => {
  it.scoped("requests of one wave share a batch, each with its own result", () =>
    Effect.gen(function* () {
      const { batches, results } = yield* batchesOf(2)
      assert.deepStrictEqual(results, [10, 20, 30, 40])
      assert.deepStrictEqual(batches, [[1, 2, 3, 4]])
    })
  )

  it.scoped("without lingering the first request goes alone", () =>
    Effect.gen(function* () {
      const { batches, results } = yield* batchesOf(0)
      assert.deepStrictEqual(results, [10, 20, 30, 40])
      assert.strictEqual(batches[0]?.length, 1)
      assert.deepStrictEqual(batches.flat(), [1, 2, 3, 4])
    })
  )
})
