/** Runs the counter example: `npx tsx examples/counter/main.ts`. */
import { Effect } from "effect"
import { Application } from "../../src/index.js"
import * as Counter from "./Counter.js"

const program = Effect.gen(function* () {
  const app = yield* Application.Application
  yield* Counter.increment("apples", 3)
  yield* Counter.increment("apples", 4)
  yield* Counter.increment("apples", 5) // 12 would pass the limit: rejected, as an event
  yield* app.settle()
  console.log(`apples = ${yield* Counter.value("apples")}`)
  for (const entry of yield* app.host(Counter.definition).audit("apples")) {
    console.log(
      `${entry.message.type} ${JSON.stringify(entry.message.payload)} -> ${entry.events.map((e) => e.type)}`
    )
  }
})

Effect.runPromise(program.pipe(Effect.provide(Counter.layer)))
