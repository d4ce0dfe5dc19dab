import { Data, Duration, Effect, Layer, Option, Schema } from "effect"
import type { Scope } from "effect"
import * as Application from "../commit/Application.js"
import type { PersistenceError } from "../commit/CommitBoundary.js"
import * as ActorSystem from "../runtime/ActorSystem.js"
import * as Canonical from "./internal/canonical.js"
import * as Progress from "./internal/progress.js"
import * as TestApp from "./TestApp.js"

/** One scenario of a conformance suite: a program over a running application, written once, run on every target. */
export interface Scenario<R = never, E = never> {
  readonly name: string
  readonly program: Effect.Effect<unknown, E, Application.Application | Scope.Scope | R>
}

/** A boundary to run scenarios on: its name and a fresh application (with whatever else scenarios need) per run. */
export interface Target<R = never, E = never> {
  readonly name: string
  readonly layer: () => Layer.Layer<Application.Application | R, E>
}

/** How outcomes are read and compared. */
export interface OutcomeOptions {
  /**
   * Property names left out of states and payloads wherever they appear: domain fields that follow the clock
   * (a ledger entry's `at`) differ between a test clock and a live one.
   */
  readonly ignoreFields?: ReadonlyArray<string>
  /** Which keys to compare (default all): a scenario's own keys when targets share a database. */
  readonly keys?: (host: string, key: string) => boolean
  /**
   * Waiting for convergence after the program: under the TestClock, the longest clock time moved; on a live clock
   * (a real database), how long nothing may move before the run fails (default 30 seconds).
   */
  readonly settleTimeout?: Duration.DurationInput
}

/** A message a host handled, with what its commit produced; ids renamed canonically (see `outcome`). */
export interface Handled {
  readonly id: string
  readonly type: string
  readonly payload: unknown
  readonly produced: ReadonlyArray<{ readonly id: string; readonly type: string; readonly payload: unknown }>
}

/** What a run left behind on one target, in a form that compares across boundaries. */
export interface Outcome {
  readonly target: string
  /** host → key → state, encoded with the host's state schema (as a durable boundary keeps it). */
  readonly states: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  /**
   * host → key → producer → messages handled from that producer, in the order handled, each once (duplicates an
   * inbox suppresses are dropped). The producer is `outside` (the scenario, a client) or the `<host>/<key>` whose
   * commit produced the message: a boundary keeps each producer's order per key, and nothing more, so how one
   * key's producers interleave is not compared.
   */
  readonly handled: Readonly<Record<string, Readonly<Record<string, Lanes>>>>
}

/** One key's handled messages by producer (`outside` or `<host>/<key>`), each producer's in the order handled. */
export type Lanes = Readonly<Record<string, ReadonlyArray<Handled>>>

/** Two targets disagreed on a scenario's outcome. */
export class ConformanceMismatch extends Data.TaggedError("ConformanceMismatch")<{
  readonly scenario: string
  readonly reference: Outcome
  readonly actual: Outcome
  readonly differences: ReadonlyArray<string>
  readonly message: string
}> {}

/** Declares a scenario; what it needs besides the application and a scope, its targets must provide. */
export const scenario = <R = never, E = never>(
  name: string,
  program: Effect.Effect<unknown, E, Application.Application | Scope.Scope | R>
): Scenario<Exclude<R, Application.Application | Scope.Scope>, E> => ({
  name,
  // A program needing only the application infers R = Application; what remains after excluding it is the same.
  program: program as Effect.Effect<
    unknown,
    E,
    Application.Application | Scope.Scope | Exclude<R, Application.Application | Scope.Scope>
  >
})

/** Declares a target. */
export const target = <R = never, E = never>(
  name: string,
  layer: () => Layer.Layer<Application.Application | R, E>
): Target<R, E> => ({ name, layer })

/** The producer name of messages from outside in `Outcome.handled`. */
export const outside: string = Canonical.outside

/**
 * Reads every host's states and audit logs into an `Outcome`. Message ids are renamed so that targets with
 * different id generators compare: a message from outside becomes `<host>/<key>#<n>` (its place among the key's
 * outside messages), a produced one `<its cause>.<index>`, and every id inside states and payloads (a billing id
 * derived from a message id) is renamed the same way.
 */
export const outcome = (
  name: string,
  options: OutcomeOptions = {}
): Effect.Effect<Outcome, PersistenceError, Application.Application> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const include = options.keys ?? (() => true)
    const hosts = [...app.hosts.values()].sort((a, b) => a.name.localeCompare(b.name))
    const read: Array<Canonical.HostRecord> = []
    for (const host of hosts) {
      const log = (yield* host.audit()).filter((entry) => include(host.name, entry.key))
      const keys = [...new Set([...(yield* host.keys), ...log.map((entry) => entry.key)])]
        .filter((key) => include(host.name, key))
        .sort()
      const encode = Schema.encodeSync(host.definition.state)
      const states: Array<readonly [string, unknown]> = []
      for (const key of keys) {
        const state = yield* host.state(key)
        if (state !== undefined) states.push([key, encode(state)])
      }
      read.push({ host: host.name, keys, states, log })
    }
    return Canonical.outcomeOf(name, read, options.ignoreFields ?? [])
  })

/** Where two outcomes differ, as readable paths (empty when they match). */
export const differences = (reference: Outcome, actual: Outcome, limit = 20): ReadonlyArray<string> =>
  Canonical.diff(
    { states: reference.states, handled: reference.handled },
    { states: actual.states, handled: actual.handled },
    limit
  )

/** Runs a scenario on a fresh application of the target, waits for convergence, and reads the outcome. */
export const runOn = <R, E, E2>(
  scenario: Scenario<R, E>,
  target: Target<NoInfer<R>, E2>,
  options: OutcomeOptions = {}
): Effect.Effect<Outcome, E | E2 | Application.SettleTimeout | PersistenceError> =>
  Effect.gen(function* () {
    yield* scenario.program
    yield* settleAll(options.settleTimeout)
    return yield* outcome(target.name, options)
  }).pipe(Effect.scoped, Effect.provide(Layer.fresh(target.layer())))

/**
 * Runs a scenario on every target in turn and fails with `ConformanceMismatch` unless every outcome equals the
 * first target's: the same states, the same messages handled (each once: duplicates an inbox suppresses do not
 * count) with the same messages produced, and each producer's messages handled in the same order per key.
 */
export const check = <R, E, E2>(
  scenario: Scenario<R, E>,
  // What the scenario needs decides R; each target must provide at least that (it may provide more).
  targets: ReadonlyArray<Target<NoInfer<R>, E2>>,
  options: OutcomeOptions = {}
): Effect.Effect<
  ReadonlyArray<Outcome>,
  ConformanceMismatch | E | E2 | Application.SettleTimeout | PersistenceError
> =>
  Effect.gen(function* () {
    const outcomes: Array<Outcome> = []
    for (const each of targets) outcomes.push(yield* runOn(scenario, each, options))
    const [reference, ...others] = outcomes
    for (const actual of others) {
      const found = differences(reference!, actual)
      if (found.length > 0) {
        return yield* new ConformanceMismatch({
          scenario: scenario.name,
          reference: reference!,
          actual,
          differences: found,
          message: [
            `"${scenario.name}": ${actual.target} differs from ${reference!.target}:`,
            ...found.map((line) => `  ${line}`)
          ].join("\n")
        })
      }
    }
    return outcomes
  })

// internal

/**
 * Settles under the TestClock when the target runs an actor system the test can see, else through the app, judging
 * progress rather than wall time.
 */
const settleAll = (timeout: Duration.DurationInput = Duration.seconds(30)) =>
  Effect.flatMap(Effect.serviceOption(ActorSystem.ActorSystem), (system) =>
    Option.isSome(system)
      ? Effect.provideService(TestApp.settle({ timeout }), ActorSystem.ActorSystem, system.value)
      : Progress.settle({ stall: timeout })
  )
