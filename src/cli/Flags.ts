/** Flag parsing shared by Mailroom's command-line programs (@effect/cli): help, version, bad flags named, exit 2. */
import { CliConfig, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { type Console, Effect, Either, Layer, Option } from "effect"
import * as Fs from "node:fs"
import * as Placement from "../pg/Placement.js"
import * as Names from "./internal/names.js"
import * as Stdio from "./Stdio.js"

/** How a command-line program introduces itself: its name in messages, a short usage, its version. */
export interface Program {
  /** Its name in the help's title (`mailroom simulate`); the command's own name is how it is typed. */
  readonly name: string
  /** One or a few lines: how to call it; printed after a bad flag, under the error. */
  readonly usage: string
  readonly version?: string
  /** Flags still accepted under an old name (`Options.withAlias`) that the usage no longer shows, e.g. `["--store"]`. */
  readonly oldNames?: ReadonlyArray<string>
}

/**
 * Parses a program's flags with @effect/cli (`Command.make(name, flags)`, no handler needed): `--help` prints
 * the help and `--version` the version (exit status 0); an unknown flag or a bad value prints the problem,
 * naming the flag, then the usage (exit status 2). Succeeds with the flags, or with None when there is nothing
 * to run. Reads no stdin (no prompts unless `--wizard` is given).
 */
export const flags = <Name extends string, A>(
  command: Command.Command<Name, never, never, A>,
  program: Program,
  argv: ReadonlyArray<string>
): Effect.Effect<Option.Option<A>> =>
  Effect.suspend(() => {
    let parsed = Option.none<A>()
    const problems: Array<string> = []
    const capture = Command.withHandler(command, (values) =>
      Effect.sync(() => {
        parsed = Option.some(values)
      })
    )
    return Command.run(capture, { name: program.name, version: program.version ?? version() })(argv).pipe(
      Effect.as(true),
      Effect.catchIf(ValidationError.isValidationError, () => Effect.succeed(false)),
      Effect.provide(Layer.mergeAll(NodeContext.layer, CliConfig.layer({ showBuiltIns: false }))),
      withPlainConsole(problems),
      Effect.flatMap((ok) => {
        if (ok) return Effect.succeed(parsed)
        // A mistyped flag can surface as another complaint (about a positional argument, or a flag that
        // "should come first"): name the flag itself then.
        const args = argv.slice(2)
        const named = unknownFlag(program, args) ?? missingValue(program.usage, args)
        return Effect.as(badUsage(program, named ?? problems.join("\n").trim()), Option.none<A>())
      })
    )
  })

/** `flags` for a script that runs at the top level: the flags, or undefined when there is nothing to run. */
export const parse = <Name extends string, A>(
  command: Command.Command<Name, never, never, A>,
  program: Program,
  argv: ReadonlyArray<string>
): Promise<A | undefined> =>
  Effect.runPromise(Effect.map(flags(command, program, argv), Option.getOrUndefined))

/** Bad usage found once the flags parsed (a setting missing): prints the problem and the usage; exit status 2. */
export const badUsage = (program: Program, problem: string): Effect.Effect<void> =>
  Effect.map(Stdio.Stdio, (stdio) => {
    stdio.err(`${problem}\n\n${program.usage}\nRun with --help for every option.\n`)
    stdio.exit(2)
  })

/** A text flag whose value `parse` checks; its problem (a Left) is the error, which should name the flag. */
export const checked = <A>(
  name: string,
  pseudoName: string,
  parse: (text: string) => Either.Either<A, string>
): Options.Options<A> =>
  Options.text(name).pipe(
    Options.withPseudoName(pseudoName),
    Options.mapEffect((text) =>
      Either.match(parse(text), {
        onLeft: (problem) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(problem))),
        onRight: Effect.succeed
      })
    )
  )

/** A whole-number flag from `min` up, with an error naming the flag. */
export const wholeNumber = (name: string, min: number): Options.Options<number> =>
  checked(name, "N", (text) => {
    const n = Number(text)
    return /^\d+$/.test(text.trim()) && Number.isSafeInteger(n) && n >= min
      ? Either.right(n)
      : Either.left(`--${name} must be a whole number of at least ${min}; got ${JSON.stringify(text)}`)
  })

/** A flag taking one of a few words, with an error naming the flag and the words. */
export const oneOf = <const A extends string>(name: string, values: ReadonlyArray<A>): Options.Options<A> =>
  checked(name, values.join("|"), (text) => {
    const found = values.find((value) => value === text.toLowerCase())
    return found === undefined
      ? Either.left(`--${name} must be one of ${values.join(", ")}; got ${JSON.stringify(text)}`)
      : Either.right(found)
  })

/** This repository's version (package.json), for `--version`. */
export const version = (): string => {
  try {
    const text = Fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")
    return (JSON.parse(text) as { readonly version: string }).version
  } catch {
    return "unknown"
  }
}

/**
 * A duration typed on the command line: a number and a unit (`500ms`, `30s`, `5m`, `2h`, `1d`, `1.5 minutes`); a bare
 * number is seconds. Undefined when it is not one.
 */
export const parseDuration = (text: string): number | undefined => {
  const m =
    /^(\d+(?:\.\d+)?)\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)?$/i.exec(
      text.trim()
    )
  if (m === null) return undefined
  const n = Number(m[1])
  const unit = (m[2] ?? "s").toLowerCase()
  const factor =
    unit.startsWith("ms") || unit.startsWith("milli")
      ? 1
      : unit.startsWith("s")
        ? 1000
        : unit.startsWith("m")
          ? 60_000
          : unit.startsWith("h")
            ? 3_600_000
            : 86_400_000
  return Math.round(n * factor)
}

/** A duration flag (`30s`, `5m`, `2h`, `500ms`), in milliseconds, with an error naming the flag. */
export const duration = (name: string): Options.Options<number> =>
  checked(name, "D", (text) => {
    const millis = parseDuration(text)
    return millis === undefined
      ? Either.left(`--${name} must be a duration like 500ms, 30s, 5m or 2h; got ${JSON.stringify(text)}`)
      : Either.right(millis)
  })

// internal

/** The first flag that is not in the usage (nor an old name), named, with the nearest ones when they are close. */
const unknownFlag = (program: Program, args: ReadonlyArray<string>): string | undefined => {
  const shown = [...(program.usage.match(/--[a-z][a-z-]*/g) ?? []), "--help", "--version"]
  const known = [...shown, ...(program.oldNames ?? [])]
  const unknown = args
    .map((arg) => arg.split("=")[0]!)
    .find((flag) => flag.startsWith("--") && !known.includes(flag.toLowerCase()))
  return unknown === undefined ? undefined : `unknown option ${unknown}${Names.didYouMean(shown, unknown)}`
}

/** A flag that takes a value (`--script FILE` in the usage) given without one, named with what it takes. */
const missingValue = (usage: string, args: ReadonlyArray<string>): string | undefined => {
  const taking = new Map(
    [...usage.matchAll(/(--[a-z][a-z-]*) ([^\s\][|-][^\s\]]*)/g)].map((m) => [m[1]!, m[2]!] as const)
  )
  const at = args.findIndex(
    (arg, i) => taking.has(arg.toLowerCase()) && (args[i + 1] === undefined || args[i + 1]!.startsWith("--"))
  )
  return at < 0 ? undefined : `${args[at]} needs a value: ${args[at]} ${taking.get(args[at]!.toLowerCase())}`
}

const ansiStyle = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g")

/** Runs @effect/cli's parsing with the console `plain` gives, on the current `Stdio`. */
const withPlainConsole =
  (problems: Array<string>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Effect.all([Effect.console, Stdio.Stdio]), ([current, stdio]) =>
      Effect.withConsole(effect, plain(current, stdio, problems))
    )

/**
 * The console @effect/cli writes to while parsing: its help goes to stdout with its ANSI styles kept on a terminal
 * and stripped elsewhere or with NO_COLOR; its complaints are kept in `problems` for `flags` to report.
 */
const plain = (
  current: Console.Console,
  stdio: Stdio.StdioService,
  problems: Array<string>
): Console.Console => {
  const write = (stream: "out" | "err", args: ReadonlyArray<unknown>) =>
    Effect.sync(() => {
      // A flag whose value we check ourselves is a text option to @effect/cli, which would describe it as
      // "A user-defined piece of text." in the help: its own description says what it takes.
      const text = args
        .map(String)
        .join(" ")
        .replace(/\n {2}A user-defined piece of text\.\n/g, "")
      stdio[stream](`${stdio.styled(stream) ? text : text.replace(ansiStyle, "")}\n`)
    })
  return {
    ...current,
    log: (...args) => write("out", args),
    info: (...args) => write("out", args),
    error: (...args) =>
      Effect.sync(() => {
        problems.push(args.map(String).join(" ").replace(ansiStyle, ""))
      }),
    warn: (...args) => write("err", args)
  }
}

/**
 * `--database-url [HOST=]URL`, repeatable: a plain URL places every host, `HOST=URL` one host on a database of its
 * own. Left unset, `DATABASE_URL` places every host not placed by a flag. Gives the placement, or the problem
 * (which names the flag) when a host is left without a database.
 */
export const databaseUrls = Options.text("database-url").pipe(
  Options.withPseudoName("[HOST=]URL"),
  Options.repeated,
  Options.withDescription(
    "The PostgreSQL database of every host (default: DATABASE_URL); HOST=URL puts one host on a database of its own (repeat the flag for each)."
  )
)

/** The placement of `databaseUrls` values over `DATABASE_URL`, or what is wrong with it. */
export const placementOf = (
  values: ReadonlyArray<string>,
  hosts: ReadonlyArray<string>,
  environment: string | undefined = process.env.DATABASE_URL
): Either.Either<Placement.Placement, string> =>
  Either.flatMap(
    Placement.fromArguments(
      environment === undefined || environment === "" ? values : [environment, ...values],
      hosts
    ),
    (placement) => {
      const missing = Placement.unplaced(placement, hosts)
      return missing.length === 0
        ? Either.right(placement)
        : Either.left(
            `no database for ${missing.join(", ")}: pass --database-url URL (or HOST=URL for each host) or set DATABASE_URL`
          )
    }
  )

/**
 * `--hosts LIST`: the hosts whose actors run in this process, a comma list of host names, or `none` for a front door
 * that only stores messages for host processes elsewhere. Unset: all of them.
 */
export const localHosts = <const Name extends string>(hosts: ReadonlyArray<Name>) =>
  checked("hosts", "LIST", (text): Either.Either<ReadonlyArray<Name>, string> => {
    if (text.trim() === "none") return Either.right([])
    const names = text
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== "")
    const unknown = names.filter((name) => !hosts.includes(name as Name))
    return unknown.length > 0 || names.length === 0
      ? Either.left(
          `--hosts takes a comma list of ${hosts.join(", ")}, or none; got ${JSON.stringify(text)}${
            unknown.length > 0 ? Names.didYouMean([...hosts, "none"], unknown[0]!) : ""
          }`
        )
      : Either.right([...new Set(names)] as unknown as ReadonlyArray<Name>)
  }).pipe(
    Options.optional,
    Options.withDescription(
      `Postgres mode: the hosts whose actors run in this process (default: all), a comma list of ${hosts.join(", ")}, or none: a front door that only stores commands, for host processes (npm run host) to handle.`
    )
  )

/**
 * Runs a program made of subcommands, each with its own handler: `--help` prints the help and `--version` the version
 * (exit status 0); an unknown command, an unknown flag or a bad value prints the problem, naming it, then the usage
 * (exit status 2). The handlers write their own output (to stdout and stderr directly).
 */
export const run = <Name extends string, R, E, A>(
  command: Command.Command<Name, R, E, A>,
  program: Program,
  argv: ReadonlyArray<string>
): Effect.Effect<void, E, Exclude<R, NodeContext.NodeContext>> =>
  Effect.suspend(() => {
    const problems: Array<string> = []
    return Command.run(command, { name: program.name, version: program.version ?? version() })(argv).pipe(
      Effect.as(true),
      Effect.catchIf(ValidationError.isValidationError, () => Effect.succeed(false)),
      Effect.provide(Layer.mergeAll(NodeContext.layer, CliConfig.layer({ showBuiltIns: false }))),
      withPlainConsole(problems),
      Effect.flatMap((ok) => {
        if (ok) return Effect.void
        const args = argv.slice(2)
        const named = unknownFlag(program, args) ?? missingValue(program.usage, args)
        return badUsage(program, named ?? problems.join("\n").trim())
      })
    ) as Effect.Effect<void, E, Exclude<R, NodeContext.NodeContext>>
  })
