import { Command, HelpDoc, Options } from "@effect/cli"
import { type Duration, Effect, Either, Option } from "effect"
import * as CommandLine from "./CommandLine.js"
import * as Commands from "./Commands.js"
import * as ImperialApp from "./ImperialApp.js"

/** What the command line asked for. */
export interface CliOptions {
  readonly mode: "interactive" | "json"
  /** Read commands from this file instead of stdin (JSON mode). */
  readonly script: string | undefined
  /** The commit boundary: memory (direct commit) or postgres (outbox, relay, inbox). */
  readonly boundary: "memory" | "postgres"
  /** `--database-url` values: URLs placing every host, or HOST=URL placing one (see `Placement`). */
  readonly databaseUrls: ReadonlyArray<string>
  /** Postgres mode: the hosts whose actors run here (undefined: all; empty: a front door only). */
  readonly hosts: ReadonlyArray<ImperialApp.HostName> | undefined
  readonly balance: number | undefined
  readonly idPrefix: string | undefined
  /** JSON mode: settle after each command before printing (reproducible output). */
  readonly wait: boolean
  readonly stepTimeout: Duration.Duration | undefined
  readonly noColor: boolean
}

/** The short usage printed under a bad option. */
export const usage = `Usage: npm start -- [--json | --script FILE] [--no-wait] [--step-timeout D] [--boundary memory|postgres]
                    [--database-url [HOST=]URL ...] [--hosts LIST|none] [--balance N] [--id-prefix P] [--no-color] [--help] [--version]`

/** How the sandbox's exit status reads (also in the README). */
export const exitStatus =
  "0 after quit, Ctrl-D, Ctrl-C on an empty line or the end of the input, once everything has drained; 3 when it stops before everything drained (the drain gave up, or Ctrl-C during the drain): in memory what was still pending is lost, in Postgres mode it stays stored and is delivered on the next start; 1 when the boundary cannot start; 2 for bad options."

/** The sandbox's flags and help, for @effect/cli. */
export const command = Command.make("npm start --", {
  json: Options.boolean("json").pipe(
    Options.withDescription(
      "Read commands from stdin, one per line; write one JSON object per line on stdout. Nothing else goes to stdout: log lines go to stderr."
    )
  ),
  script: CommandLine.checked("script", "FILE", (file) =>
    file === "" ? Either.left("--script needs a file") : Either.right(file)
  ).pipe(Options.optional, Options.withDescription("Like --json, reading the commands from FILE.")),
  noWait: Options.boolean("no-wait").pipe(
    Options.withDescription(
      "JSON mode: print each result at once and each event as it happens (default: each command waits for the application to settle, then prints its result and the events it caused in causal order, so output is reproducible)."
    )
  ),
  stepTimeout: CommandLine.checked("step-timeout", "D", (text) => {
    const duration = Commands.parseDuration(text)
    return duration === undefined
      ? Either.left(`--step-timeout needs a duration like 10s or 500ms; got ${JSON.stringify(text)}`)
      : Either.right(duration)
  }).pipe(
    Options.optional,
    Options.withDescription("JSON mode: how long one command may take to settle (default 10s).")
  ),
  boundary: CommandLine.oneOf("boundary", ["memory", "postgres"]).pipe(
    Options.withAlias("store"),
    Options.withDefault("memory" as const),
    Options.withDescription(
      "The commit boundary that keeps state and messages: memory (direct commit) or postgres (outbox, relay, inbox); default memory. --store is its old name, still accepted."
    )
  ),
  databaseUrls: CommandLine.databaseUrls,
  hosts: CommandLine.localHosts(ImperialApp.hostNames),
  balance: CommandLine.checked("balance", "N", (text) =>
    /^\d+$/.test(text)
      ? Either.right(Number(text))
      : Either.left(`--balance needs a whole number of millions, 0 or more; got ${JSON.stringify(text)}`)
  ).pipe(
    Options.optional,
    Options.withDescription(
      "Starting balance of new games, in millions (default: MAILROOM_SANDBOX_BALANCE, else 20)."
    )
  ),
  idPrefix: CommandLine.checked("id-prefix", "P", (prefix) =>
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,40}$/.test(prefix)
      ? Either.right(prefix)
      : Either.left(
          `--id-prefix needs letters, digits or _.:-, starting with a letter or digit; got ${JSON.stringify(prefix)}`
        )
  ).pipe(
    Options.optional,
    Options.withDescription(
      "The sandbox numbers its message ids P-1, P-2, ... (default m in memory, a fresh random prefix per run with --boundary postgres)."
    )
  ),
  noColor: Options.boolean("no-color").pipe(
    Options.withDescription("No colours (also NO_COLOR=1, or when stdout is not a terminal).")
  )
}).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        'The Mailroom sandbox: Imperial\'s rondel as two hosts (rondel, accounting) talking only by messages. Without options it is the interactive sandbox, in memory. Type help at the prompt (or send "help" in JSON mode) for the commands.'
      ),
      HelpDoc.h1("JSON MODE"),
      HelpDoc.p(
        "--json or --script FILE: one command per input line. stdout carries only JSON, one object per line: a result line per command, then the event lines it caused. Log lines (the runtime's warnings and errors, e.g. a message parked after crashing its handler) go to stderr as plain text."
      ),
      HelpDoc.h1("EXIT STATUS"),
      HelpDoc.p(exitStatus)
    ])
  )
)

/**
 * Parses the command line (`process.argv`): the options, or None once `--help`/`--version` was answered or a
 * bad option reported (with the usage; exit status 2).
 */
export const parse = (argv: ReadonlyArray<string>): Effect.Effect<Option.Option<CliOptions>> =>
  Effect.map(CommandLine.flags(command, program, argv), (parsed) =>
    Option.map(
      parsed,
      (flags): CliOptions => ({
        // A script is read in JSON mode.
        mode: flags.json || Option.isSome(flags.script) ? "json" : "interactive",
        script: Option.getOrUndefined(flags.script),
        boundary: flags.boundary,
        databaseUrls: flags.databaseUrls,
        hosts: Option.getOrUndefined(flags.hosts),
        balance: Option.getOrUndefined(flags.balance),
        idPrefix: Option.getOrUndefined(flags.idPrefix),
        wait: !flags.noWait,
        stepTimeout: Option.getOrUndefined(flags.stepTimeout),
        noColor: flags.noColor
      })
    )
  )

/** How the sandbox introduces itself to the command line. */
export const program: CommandLine.Program = { name: "mailroom sandbox", usage, oldNames: ["--store"] }
