import { NodeRuntime } from "@effect/platform-node"
import { Cause, Config, Effect, HashMap, Logger, LogLevel, Option, Redacted, Stream } from "effect"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as readline from "node:readline"
import * as Cli from "./Cli.js"
import * as CommandLine from "./CommandLine.js"
import * as Drain from "./Drain.js"
import * as Interactive from "./Interactive.js"
import * as JsonMode from "./JsonMode.js"
import * as Store from "./Store.js"
import * as Style from "./Style.js"

// Entry point: `npm start -- [options]` (see Cli.command). Picks the store layer, then runs the interactive or
// the JSON mode over it. Exit status (Cli.exitStatus): 0 after quit or end of input once everything drained, 3
// when it stopped before everything drained, 1 when the store cannot start, 2 for bad options.

// Log lines go to stderr (JSON mode keeps stdout for JSON); the interactive mode prints them above its prompt.
const logSink: { write: (text: string) => void } = {
  write: (text: string) => void process.stderr.write(`${text}\n`)
}
// One line per log entry: level, message, annotations (actor, key, ...) and the first line of the cause.
const logger = Logger.make(({ logLevel, message, annotations, cause }) => {
  const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  const fields = HashMap.toEntries(annotations).map(([key, value]) => `${key}=${String(value)}`)
  const because = Cause.isEmpty(cause) ? "" : `: ${Cause.pretty(cause).split("\n")[0]}`
  logSink.write(`[${logLevel.label}] ${text}${fields.length === 0 ? "" : ` (${fields.join(" ")})`}${because}`)
})

const writeLine = (line: string) =>
  Effect.async<void>((resume) => {
    process.stdout.write(`${line}\n`, () => resume(Effect.void))
  })

const inputLines = (file: string | undefined) =>
  Stream.suspend(() =>
    Stream.fromAsyncIterable(
      readline.createInterface({
        input: file === undefined ? process.stdin : fs.createReadStream(file),
        crlfDelay: Number.POSITIVE_INFINITY
      }),
      (error) => error
    )
  )

const program = Effect.gen(function* () {
  // Flags first, before anything reads stdin (the JSON mode reads its commands there).
  const parsed = yield* Cli.parse(process.argv)
  if (Option.isNone(parsed)) return
  const options = parsed.value
  if (options.script !== undefined && !fs.existsSync(options.script)) {
    return yield* CommandLine.badUsage(Cli.program, `no script file ${options.script}`)
  }
  const envUrl = Option.filter(
    yield* Config.option(Config.redacted("DATABASE_URL")),
    (url) => Redacted.value(url) !== ""
  )
  const balance =
    options.balance ?? (yield* Config.integer("MAILROOM_SANDBOX_BALANCE").pipe(Config.withDefault(20)))
  const choice: Store.StoreChoice =
    options.store === "memory"
      ? { _tag: "memory" }
      : {
          _tag: "postgres",
          databaseUrl:
            options.databaseUrl === undefined
              ? Option.getOrUndefined(envUrl)
              : Redacted.make(options.databaseUrl)
        }
  // A durable store remembers earlier runs' message ids (its inboxes drop repeats), so each run there mints
  // ids under a fresh prefix; in memory every run starts empty and m-1, m-2, ... keep output reproducible.
  const idPrefix = options.idPrefix ?? (options.store === "memory" ? "m" : `s${randomUUID().slice(0, 8)}`)
  const session = { balance, idPrefix }

  const run =
    options.mode === "json"
      ? JsonMode.run(inputLines(options.script), writeLine, {
          session,
          wait: options.wait,
          stepTimeout: options.stepTimeout ?? JsonMode.defaults.stepTimeout
        })
      : Interactive.run({
          session,
          style: Style.detect(Boolean(process.stdout.isTTY), process.env, options.noColor),
          input: process.stdin,
          output: process.stdout,
          terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY),
          onPrinter: (print) => {
            logSink.write = print
          }
        })

  const minimum = options.mode === "json" ? LogLevel.Warning : LogLevel.Error
  yield* run.pipe(
    // A session that did not drain fails, so the hosts stop at once instead of draining again as they close.
    Effect.flatMap((outcome) => (outcome === "drained" ? Effect.void : new Drain.NotDrained({ outcome }))),
    Effect.scoped,
    Effect.provide(Store.layer(choice)),
    Logger.withMinimumLogLevel(minimum),
    Effect.catchIf(
      (error): error is Store.StoreUnavailable => error instanceof Store.StoreUnavailable,
      (error) =>
        Effect.sync(() => {
          process.stderr.write(`mailroom sandbox: cannot start the ${error.store} store: ${error.message}\n`)
          process.exitCode = 1
        })
    ),
    Effect.catchIf(
      (error): error is Drain.NotDrained => error instanceof Drain.NotDrained,
      () =>
        Effect.sync(() => {
          process.exitCode = Drain.notDrainedExitStatus
        })
    )
  )
})

// Our logger only: runMain would add its pretty logger, which writes to stdout (breaking JSON mode's lines).
program.pipe(
  Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
