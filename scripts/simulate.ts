// Runs the Imperial simulation over many seeds: npm run simulate -- --seeds 10000 [--from N]
// [--broken inbox|outbox|order|cancel] [--app imperial|deadlines] [--trace]. Prints progress and a summary; on a failing seed prints the seed and
// its minimal trace and exits 1. Bad flags print the usage and exit 2. The same seed always gives the same run.
import { Command, Options } from "@effect/cli"
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Option } from "effect"
import * as CommandLine from "../hosts/sandbox/CommandLine.js"
import * as Simulation from "../src/testing/Simulation.js"
import * as Deadlines from "../tests/testing/deadlineSimulation.js"
import * as Imperial from "../tests/testing/imperialSimulation.js"

const usage =
  "Usage: npm run simulate -- [--seeds N] [--from N] [--broken inbox|outbox|order|cancel] [--app imperial|deadlines] [--trace]"

const brokenVariants: ReadonlyArray<Simulation.Broken> = ["inbox", "outbox", "order", "cancel"]

const apps = ["imperial", "deadlines"] as const
const titles = {
  imperial: "Imperial (rondel + accounting)",
  deadlines: "the payment-deadline example (shop + payments, scheduled messages and cancellations)"
} as const

const flags = {
  seeds: CommandLine.wholeNumber("seeds", 1).pipe(
    Options.withDefault(1000),
    Options.withDescription("How many seeds to run (default 1000).")
  ),
  from: CommandLine.wholeNumber("from", 0).pipe(
    Options.withDefault(1),
    Options.withDescription("The first seed (default 1): --from 7 --seeds 1 runs seed 7 alone.")
  ),
  broken: CommandLine.oneOf("broken", brokenVariants).pipe(
    Options.optional,
    Options.withDescription(
      "Run on a deliberately broken store (inbox forgets processed ids, outbox is written after the state, order lets the relay skip ahead, cancel leaves a cancelled scheduled message in the outbox), to see the simulator catch it."
    )
  ),
  app: CommandLine.oneOf("app", apps).pipe(
    Options.withDefault("imperial" as const),
    Options.withDescription(
      "What to simulate: imperial (default), or deadlines: the example hosts whose payment deadline is a scheduled message, cancelled when the payment comes first."
    )
  ),
  trace: Options.boolean("trace").pipe(Options.withDescription("Print every run step by step."))
}

const simulate = (flags: {
  readonly seeds: number
  readonly from: number
  readonly broken: Option.Option<Simulation.Broken>
  readonly app: (typeof apps)[number]
  readonly trace: boolean
}) =>
  Effect.gen(function* () {
    const { seeds, from, trace } = flags
    const broken = Option.getOrUndefined(flags.broken)
    const options =
      flags.app === "imperial"
        ? Imperial.options(broken)
        : { ...Deadlines.options(), ...(broken === undefined ? {} : { store: { broken } }) }
    const timers = {
      scheduled: 0,
      fired: 0,
      cancelledBeforeDue: 0,
      cancelledWhileDue: 0,
      cancelledTooLate: 0
    }
    const started = performance.now()
    let printed = started
    const rate = (done: number) => Math.round(done / ((performance.now() - started) / 1000))

    console.log(
      `Simulating ${titles[flags.app]} over seeds ${from}..${from + seeds - 1}${broken === undefined ? "" : ` with a broken ${broken}`}`
    )
    const result = yield* Effect.either(
      Simulation.check(options, {
        seeds,
        from,
        onProgress: (done, run) =>
          Effect.sync(() => {
            for (const kind of Object.keys(timers) as Array<keyof typeof timers>)
              timers[kind] += run.stats.timers[kind]
            if (trace) for (const line of run.trace) console.log(`  ${line}`)
            const now = performance.now()
            if (now - printed >= 1000 || done === seeds) {
              printed = now
              console.log(`  ${done}/${seeds} seeds passed (${rate(done)} seeds/s)`)
            }
          })
      })
    )
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    if (result._tag === "Left") {
      const failed = result.left
      if (trace) {
        console.error(`\nThe seeded run of seed ${failed.seed}, as it happened:`)
        for (const line of failed.run.trace) console.error(`  ${line}`)
      }
      console.error(`\n${failed.message}`)
      console.error(
        `\nReproduce: npm run simulate -- --from ${failed.seed} --seeds 1${flags.app === "imperial" ? "" : ` --app ${flags.app}`}${broken === undefined ? "" : ` --broken ${broken}`} --trace`
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
        `  steps ${summary.steps}, commands ${summary.sent}, commits ${summary.commits}, duplicates dropped by the inbox ${summary.duplicatesDropped}`,
        `  faults: ${faults}`,
        ...(timers.scheduled === 0
          ? []
          : [
              `  scheduled messages ${timers.scheduled}: fired ${timers.fired} (duplicates and redeliveries included), cancelled before due ${timers.cancelledBeforeDue}, cancelled while due (the cancel won the race) ${timers.cancelledWhileDue}, cancelled after firing ${timers.cancelledTooLate}`
            ])
      ].join("\n")
    )
  })

const command = Command.make("npm run simulate --", flags).pipe(
  Command.withDescription(
    "Seeded simulation of Imperial (rondel + accounting), or of the payment-deadline example (--app deadlines), on a simulated durable store: interleavings, crashes at every crash point, duplicates and delays, with the boundary's invariants checked after every step. Exit status: 0 when every seed holds, 1 on a failing seed (its minimal trace and how to reproduce it are printed), 2 for bad flags."
  )
)

NodeRuntime.runMain(
  Effect.flatMap(CommandLine.flags(command, { name: "mailroom simulate", usage }, process.argv), (parsed) =>
    Option.isSome(parsed) ? simulate(parsed.value) : Effect.void
  )
)
