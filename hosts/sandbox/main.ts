import { NodeRuntime } from "@effect/platform-node"
import { Cause, Config, Effect, Either, HashMap, Logger, LogLevel, Option, Stream } from "effect"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as readline from "node:readline"
import * as Cli from "./Cli.js"
import * as CommandLine from "./CommandLine.js"
import * as Drain from "./Drain.js"
import * as ImperialApp from "./ImperialApp.js"
import * as Interactive from "./Interactive.js"
import * as JsonMode from "./JsonMode.js"
import * as Boundary from "./Boundary.js"
import * as Placement from "../../src/pg/Placement.js"
import * as Style from "./Style.js"

// Entry point: `npm start -- [options]` (see Cli.command). Picks the boundary's layer, then runs the interactive or
// the JSON mode over it. Exit status (Cli.exitStatus): 0 after quit or end of input once everything drained, 3
// when it stopped before everything drained, 1 when the boundary cannot start, 2 for bad options.

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
  const envUrl = Option.filter(yield* Config.option(Config.string("DATABASE_URL")), (url) => url !== "")
  const placement = Placement.fromArguments(
    Option.isSome(envUrl) ? [envUrl.value, ...options.databaseUrls] : options.databaseUrls,
    ImperialApp.hostNames
  )
  if (Either.isLeft(placement)) return yield* CommandLine.badUsage(Cli.program, placement.left)
  if (options.hosts !== undefined && options.boundary === "memory") {
    return yield* CommandLine.badUsage(
      Cli.program,
      "--hosts is for --boundary postgres: in memory both hosts run in this process"
    )
  }
  const balance =
    options.balance ?? (yield* Config.integer("MAILROOM_SANDBOX_BALANCE").pipe(Config.withDefault(20)))
  const choice: Boundary.BoundaryChoice =
    options.boundary === "memory"
      ? { _tag: "memory" }
      : {
          _tag: "postgres",
          placement: placement.right,
          ...(options.hosts === undefined ? {} : { local: options.hosts })
        }
  // A durable boundary remembers earlier runs' message ids (its inboxes drop repeats), so each run there mints
  // ids under a fresh prefix; in memory every run starts empty and m-1, m-2, ... keep output reproducible.
  const idPrefix = options.idPrefix ?? (options.boundary === "memory" ? "m" : `s${randomUUID().slice(0, 8)}`)
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
    Effect.provide(Boundary.layer(choice)),
    Logger.withMinimumLogLevel(minimum),
    Effect.catchIf(
      (error): error is Boundary.BoundaryUnavailable => error instanceof Boundary.BoundaryUnavailable,
      (error) =>
        Effect.sync(() => {
          process.stderr.write(
            `mailroom sandbox: cannot start the ${error.boundary} boundary: ${error.message}\n`
          )
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
