// Runs the Imperial simulation over many seeds: npm run simulate -- --seeds 10000 [--from N]
// [--broken inbox|outbox|order] [--trace]. Prints progress and a summary; on a failing seed prints the seed and
// its minimal trace and exits 1. The same seed always gives the same run.
import { Effect } from "effect"
import { parseArgs } from "node:util"
import type * as SimulatedDurableStore from "../src/testing/SimulatedDurableStore.js"
import * as Simulation from "../src/testing/Simulation.js"
import * as Imperial from "../tests/testing/imperialSimulation.js"

const usage = "usage: npm run simulate -- --seeds N [--from N] [--broken inbox|outbox|order] [--trace]"

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1000" },
    from: { type: "string", default: "1" },
    broken: { type: "string" },
    trace: { type: "boolean", default: false },
    help: { type: "boolean", default: false }
  }
})

const whole = (name: string, text: string, min: number): number => {
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(
      `--${name} must be a whole number of at least ${min}; got ${JSON.stringify(text)}\n${usage}`
    )
    process.exit(2)
  }
  return n
}

if (values.help) {
  console.log(usage)
  process.exit(0)
}
const seeds = whole("seeds", values.seeds, 1)
const from = whole("from", values.from, 0)
const brokenVariants: ReadonlyArray<SimulatedDurableStore.Broken> = ["inbox", "outbox", "order"]
const broken = values.broken as SimulatedDurableStore.Broken | undefined
if (broken !== undefined && !brokenVariants.includes(broken)) {
  console.error(
    `--broken must be one of ${brokenVariants.join(", ")}; got ${JSON.stringify(values.broken)}\n${usage}`
  )
  process.exit(2)
}

const options = Imperial.options(broken)
const started = performance.now()
let printed = started
const rate = (done: number) => Math.round(done / ((performance.now() - started) / 1000))

console.log(
  `Simulating Imperial (rondel + accounting) over seeds ${from}..${from + seeds - 1}${broken === undefined ? "" : ` with a broken ${broken}`}`
)

const program = Simulation.check(options, {
  seeds,
  from,
  onProgress: (done, run) =>
    Effect.sync(() => {
      if (values.trace) for (const line of run.trace) console.log(`  ${line}`)
      const now = performance.now()
      if (now - printed >= 1000 || done === seeds) {
        printed = now
        console.log(`  ${done}/${seeds} seeds passed (${rate(done)} seeds/s)`)
      }
    })
})

Effect.runPromise(Effect.either(program)).then(
  (result) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    if (result._tag === "Left") {
      const failed = result.left
      if (values.trace) {
        console.error(`\nThe seeded run of seed ${failed.seed}, as it happened:`)
        for (const line of failed.run.trace) console.error(`  ${line}`)
      }
      console.error(`\n${failed.message}`)
      console.error(
        `\nReproduce: npm run simulate -- --from ${failed.seed} --seeds 1${broken === undefined ? "" : ` --broken ${broken}`} --trace`
      )
      process.exitCode = 1
      return
    }
    const summary = result.right
    const faults = Object.entries(summary.faults)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ")
    console.log(
      [
        `\nAll ${summary.seeds} seeds hold every invariant (${seconds}s, ${rate(summary.seeds)} seeds/s).`,
        `  steps ${summary.steps}, commands ${summary.submitted}, commits ${summary.commits}, duplicates dropped by the inbox ${summary.duplicatesDropped}`,
        `  faults: ${faults}`
      ].join("\n")
    )
  },
  (error) => {
    console.error(error)
    process.exitCode = 2
  }
)
