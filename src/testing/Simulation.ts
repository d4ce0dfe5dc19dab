import { Data, Effect } from "effect"
import type { AnyHostDefinition, DecodeFailure, HostDefinition } from "../commit/HostDefinition.js"
import * as Rng from "./internal/rng.js"
import * as Engine from "./internal/simEngine.js"
import * as Shrink from "./internal/simShrink.js"
import type {
  EngineInput,
  FaultRates,
  Invariant,
  Run,
  Submission,
  Violation,
  Workload,
  World
} from "./internal/simTypes.js"
import type * as SimStore from "./internal/simStore.js"

export type { Rng } from "./internal/rng.js"
export type { Broken, Options as StoreOptions } from "./internal/simStore.js"
export type {
  Decision,
  DeliveryRecord,
  Fault,
  FaultRates,
  Invariant,
  Run,
  Stats,
  Submission,
  Violation,
  Workload,
  World
} from "./internal/simTypes.js"

/** A simulation: hosts, a seeded workload, the invariants to hold, and how hostile the infrastructure is. */
export interface SimulationOptions {
  /** The hosts to run (their real `decode`, `decide` and `encode`). */
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  /** Commands to send, generated from the seed. */
  readonly workload: Workload
  /** Your properties, checked after every step or at convergence (the boundary's own are always checked). */
  readonly invariants?: ReadonlyArray<Invariant>
  /** Fault rates over `defaultFaults`. */
  readonly faults?: Partial<FaultRates>
  /** Options of the simulated durable store (test-only `broken` variants). */
  readonly store?: SimStore.Options
  /** Steps after which a run that has not converged fails (default 20 000). */
  readonly maxSteps?: number
  /** Virtual time of the first step, in epoch milliseconds (default 0). */
  readonly startTime?: number
  /** Most replays spent shrinking a failing run (default 2 000). */
  readonly maxShrinkReplays?: number
}

/** Default fault rates: enough to hit every crash point within a few seeds, few enough for every run to converge. */
export const defaultFaults: FaultRates = {
  crash: 0.06,
  duplicate: 0.04,
  delay: 0.03,
  restart: 0.01,
  maxFaults: 10,
  maxAdvance: 20,
  downtime: [20, 500]
}

/** Names of the durable boundary's guarantees, checked in every run besides your invariants. */
export const boundaryInvariants = Engine.boundaryInvariants

/** A command for a host's front door, typed by its definition (send the same object twice to send it twice). */
export const send = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>,
  message: In,
  options: { readonly messageId?: string } = {}
): Submission => ({
  host: definition.name,
  key: definition.keyOf(message),
  wire: definition.encode(message),
  ...(options.messageId === undefined ? {} : { messageId: options.messageId })
})

/** A property that must hold after every step (and at convergence). */
export const invariant = (name: string, check: Invariant["check"]): Invariant => ({ name, at: "step", check })

/** A property that must hold once every command and every message it caused has been handled. */
export const atConvergence = (name: string, check: Invariant["check"]): Invariant => ({
  name,
  at: "converged",
  check
})

/** A seed broke an invariant: the seed, what broke, and the shrunk (minimal) run that still breaks it. */
export class SimulationFailed extends Data.TaggedError("SimulationFailed")<{
  readonly seed: number
  /** The first violation of the seeded run. */
  readonly violation: Violation
  /** The seeded run as it happened. */
  readonly run: Run
  /** The smallest run found that breaks the same invariant. */
  readonly minimal: Run
  /** Replays spent shrinking. */
  readonly replays: number
  /** Seed, broken invariant and minimal trace, as `formatFailure` writes them. */
  readonly message: string
}> {}

/** Totals over the seeds of a `check`. */
export interface Summary {
  readonly from: number
  readonly seeds: number
  readonly steps: number
  readonly sent: number
  readonly commits: number
  readonly duplicatesDropped: number
  readonly faults: Run["stats"]["faults"]
}

/** Runs one seed (no shrinking): the same seed gives the same run, step for step. */
export const run = (options: SimulationOptions, seed: number): Effect.Effect<Run> =>
  Effect.sync(() => Engine.runRandom(inputOf(options, seed), seed))

/** Runs one seed; when it breaks an invariant, shrinks it and fails with the seed and the minimal trace. */
export const reproduce = (options: SimulationOptions, seed: number): Effect.Effect<Run, SimulationFailed> =>
  Effect.suspend(() => {
    const input = inputOf(options, seed)
    const result = Engine.runRandom(input, seed)
    return result.violations.length === 0
      ? Effect.succeed(result)
      : Effect.fail(failure(options, input, result))
  })

/**
 * Runs `seeds` consecutive seeds from `from` (default 1); fails on the first seed that breaks an invariant, with
 * its shrunk trace. `onProgress` is called after every seed.
 */
export const check = (
  options: SimulationOptions,
  settings: {
    readonly seeds: number
    readonly from?: number
    readonly onProgress?: (done: number, last: Run) => Effect.Effect<void>
  }
): Effect.Effect<Summary, SimulationFailed> =>
  Effect.gen(function* () {
    const from = settings.from ?? 1
    const totals = {
      steps: 0,
      sent: 0,
      commits: 0,
      duplicatesDropped: 0,
      faults: {
        crashBeforeCommit: 0,
        crashAfterCommit: 0,
        crashAfterDelivery: 0,
        duplicate: 0,
        delay: 0,
        restart: 0
      }
    }
    for (let i = 0; i < settings.seeds; i++) {
      const seed = from + i
      const result = yield* reproduce(options, seed)
      totals.steps += result.stats.steps
      totals.sent += result.stats.sent
      totals.commits += result.stats.commits
      totals.duplicatesDropped += result.stats.duplicatesDropped
      for (const kind of Object.keys(totals.faults) as Array<keyof typeof totals.faults>) {
        totals.faults[kind] += result.stats.faults[kind]
      }
      if (settings.onProgress !== undefined) yield* settings.onProgress(i + 1, result)
      // Let other fibers (a progress printer, a test timeout) run between seeds.
      if (i % 16 === 15) yield* Effect.yieldNow()
    }
    const summary: Summary = { from, seeds: settings.seeds, ...totals }
    return summary
  })

/** A world's state of every key of a host, for invariants that look at all of them. */
export const statesOf = <S>(
  world: World,
  definition: HostDefinition<S, any, any, any, any>
): ReadonlyArray<readonly [string, S]> =>
  world.keys(definition).flatMap((key) => {
    const state = world.state(definition, key)
    return state === undefined ? [] : [[key, state] as const]
  })

/** The failure as text: seed, broken invariant, and the minimal trace. */
export const formatFailure = (
  failed: Pick<SimulationFailed, "seed" | "violation" | "run" | "minimal" | "replays">
): string => {
  const minimal = failed.minimal
  const faults = (run: Run) => Object.values(run.stats.faults).reduce((sum, n) => sum + n, 0)
  const broken = minimal.violations[0] ?? failed.violation
  return [
    `Simulation failed with seed ${failed.seed}: ${failed.violation.invariant}`,
    `  ${failed.violation.message}`,
    `  (step ${failed.violation.step} of the seeded run, ${plural(faults(failed.run), "fault")} injected)`,
    `Minimal trace: ${plural(minimal.stats.steps, "step")}, ${plural(faults(minimal), "fault")}, ${plural(minimal.stats.sent, "command")} (shrunk in ${failed.replays} replays); it breaks: ${broken.message}`,
    ...minimal.trace.map((line) => `  ${line}`),
    `Re-running seed ${failed.seed} reproduces this run and this minimal trace.`
  ].join("\n")
}

// internal

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`

const inputOf = (options: SimulationOptions, seed: number): EngineInput => {
  const names = new Set(options.hosts.map((host) => host.name))
  const ids = new Map<Submission, string>()
  const items = options.workload(Rng.make(seed, 2)).map((submission) => {
    if (!names.has(submission.host)) {
      throw new Error(`the workload sends to ${submission.host}, which is not one of the simulated hosts`)
    }
    let messageId = submission.messageId ?? ids.get(submission)
    if (messageId === undefined) {
      messageId = `c${ids.size + 1}`
      ids.set(submission, messageId)
    }
    return { ...submission, messageId }
  })
  return {
    hosts: options.hosts,
    items,
    invariants: options.invariants ?? [],
    faults: { ...defaultFaults, ...options.faults },
    store: options.store ?? {},
    maxSteps: options.maxSteps ?? 20_000,
    startTime: options.startTime ?? 0
  }
}

const failure = (options: SimulationOptions, input: EngineInput, result: Run): SimulationFailed => {
  const shrunk = Shrink.shrink(input, result, options.maxShrinkReplays ?? 2_000)
  const fields = {
    seed: result.seed,
    violation: result.violations[0]!,
    run: result,
    minimal: shrunk.run,
    replays: shrunk.replays
  }
  return new SimulationFailed({ ...fields, message: formatFailure(fields) })
}
