/** Runs the counter example: `npx tsx examples/counter/main.ts`. */
import { Effect } from "effect"
import { Application } from "../../src/index.js"
import * as Counter from "./Counter.js"

const program = Effect.gen(function* () {
  const app = yield* Application.Application
  yield* Counter.increment("apples", 3) // acknowledged once enqueued
  yield* Counter.increment("apples", 9) // 12 would pass the limit: IncrementRejected, an event
  yield* app.settle() // every mailbox empty, nothing awaiting delivery
  console.log(`apples = ${yield* Counter.value("apples")}`) // apples = 3
})

Effect.runPromise(program.pipe(Effect.provide(Counter.layer)))
