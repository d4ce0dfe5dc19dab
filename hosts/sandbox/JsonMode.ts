import { Duration, Effect, Either, Fiber, Stream } from "effect"
import type { Scope } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as Commands from "./Commands.js"
import * as Drain from "./Drain.js"
import * as Feed from "./Feed.js"
import * as SandboxError from "./SandboxError.js"
import * as Session from "./Session.js"
import * as Boundary from "./Boundary.js"
import * as Watch from "./Watch.js"

/** Options of the JSON mode. */
export interface JsonModeOptions {
  readonly session: Session.SessionOptions
  /**
   * True (the default): after each command wait until the application settles, then print the result line
   * followed by the event lines the command caused, in causal order: the output is reproducible.
   * False: print results at once and event lines as they happen (timing decides the interleaving).
   */
  readonly wait: boolean
  /** How long one command may take to settle before a warning Notice line is printed. */
  readonly stepTimeout: Duration.DurationInput
}

/** Defaults: wait after each command, 10 seconds each, balance 20, message ids m-1, m-2, ... */
export const defaults: JsonModeOptions = {
  session: { balance: 20, idPrefix: "m" },
  wait: true,
  stepTimeout: Duration.seconds(10)
}

/**
 * Runs commands, one per input line, writing one JSON object per line: a result line per command and an
 * event line per feed item. Blank lines and `#` comments are skipped. Ends at `quit` or the end of the input,
 * after draining every mailbox (at most `stepTimeout`: then a Notice line says what was left, and the outcome is
 * "gave up").
 */
export const run = <E>(
  input: Stream.Stream<string, E>,
  write: (line: string) => Effect.Effect<void>,
  options: JsonModeOptions = defaults
): Effect.Effect<Drain.Outcome, E, Boundary.Services | Scope.Scope> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const session = yield* Session.make(options.session)
    const watch = yield* Watch.make
    const writeJson = (value: unknown) => write(JSON.stringify(value))
    const writeItems = (items: ReadonlyArray<Feed.FeedItem>) =>
      Effect.forEach(items, (item) => writeJson(Feed.toJson(item)), { discard: true })
    const live = options.wait ? undefined : yield* Effect.forkScoped(watch.live(writeItems))

    const pending = Effect.provide(Drain.pending, yield* Effect.context<Boundary.Services>())
    const settle = app.settle({ timeout: options.stepTimeout }).pipe(
      Effect.as([] as ReadonlyArray<Feed.FeedItem>),
      Effect.catchAll((error) =>
        Effect.map(
          pending,
          (left): ReadonlyArray<Feed.FeedItem> => [
            {
              _tag: "Notice",
              level: "warning",
              message: `${
                error._tag === "SettleTimeout"
                  ? `not settled after ${Duration.format(Duration.millis(error.timeoutMillis))}`
                  : `not settled: ${SandboxError.describe(error).message}`
              }${left === "" ? "" : `; still pending: ${left}`}`
            }
          ]
        )
      )
    )

    const step = (line: string): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        const parsed = session.parse(line)
        if (parsed === undefined) return true
        if (Either.isLeft(parsed.command)) {
          yield* writeJson({
            ok: false,
            command: parsed.name,
            error: SandboxError.describe(parsed.command.left)
          })
          return true
        }
        const command = parsed.command.right
        const outcome = yield* Effect.either(session.execute(command))
        const warnings = options.wait || Commands.Command.$is("Quit")(command) ? yield* settle : []
        yield* writeJson(
          Either.isRight(outcome)
            ? { ok: true, ...outcome.right }
            : { ok: false, command: parsed.name, error: SandboxError.describe(outcome.left) }
        )
        if (options.wait) {
          const roots = yield* session.takeSent
          yield* writeItems([...Feed.order(yield* watch.drain, roots), ...warnings])
        }
        return !Commands.Command.$is("Quit")(command)
      })

    yield* Stream.runForEachWhile(input, step)

    // End of input or quit: drain everything, print what is left, then the scope closes the hosts.
    const warnings = yield* settle
    if (live !== undefined) yield* Fiber.interrupt(live)
    yield* writeItems([...Feed.order(yield* watch.drain, yield* session.takeSent), ...warnings])
    return warnings.length === 0 ? "drained" : "gave up"
  })

/**
 * Runs the JSON mode over the given lines on a fresh application (in memory unless `boundary` says otherwise) and
 * returns the output lines.
 */
export const runLines = (
  lines: ReadonlyArray<string>,
  options: Partial<JsonModeOptions> = {},
  boundary: Boundary.BoundaryChoice = { _tag: "memory" }
): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    const out: Array<string> = []
    yield* run(
      Stream.fromIterable(lines),
      (line) =>
        Effect.sync(() => {
          out.push(line)
        }),
      { ...defaults, ...options }
    )
    return out
  }).pipe(Effect.scoped, Effect.provide(Boundary.layer(boundary)), Effect.orDie)
