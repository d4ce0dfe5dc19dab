import { Data, Duration, Either, ParseResult, Schema } from "effect"
import * as Amount from "../contracts/Amount.js"
import * as Contracts from "../contracts/Contracts.js"
import * as GameId from "../contracts/GameId.js"
import type * as Nation from "../contracts/Nation.js"
import type * as Space from "../contracts/Space.js"
import * as Names from "./Names.js"
import * as SandboxError from "./SandboxError.js"
import * as Tokens from "./Tokens.js"

/** A parsed sandbox command: every argument checked, nothing sent yet. */
export type Command = Data.TaggedEnum<{
  NewGame: { readonly nations: ReadonlyArray<Nation.Nation>; readonly balance: number | undefined }
  Games: {}
  Use: { readonly gameId: GameId.GameId }
  Move: { readonly nation: Nation.Nation; readonly space: Space.Space }
  Positions: {}
  Balances: {}
  Ledger: {}
  Charges: {}
  Deposit: { readonly nation: Nation.Nation; readonly amount: number }
  Send: {
    readonly host: string
    readonly type: string
    readonly payload: unknown
    readonly messageId: string | undefined
  }
  Settle: { readonly timeout: Duration.Duration | undefined }
  Stats: {}
  Outbox: {}
  Inbox: {}
  Parked: {}
  Redrive: { readonly id: string }
  Fault: { readonly fault: string | undefined; readonly count: number }
  Quit: {}
  Help: { readonly topic: string | undefined }
}>
/** Constructors and matchers of {@link Command}. */
export const Command = Data.taggedEnum<Command>()

/** What a command's arguments are, for help and tab completion. */
export type ArgKind =
  | "nation"
  | "space"
  | "host"
  | "messageType"
  | "gameId"
  | "fault"
  | "command"
  | "parkedId"
  | "free"

/** One command: its name, usage, help text, the kinds of its arguments and its options. */
export interface Spec {
  readonly name: string
  readonly usage: string
  readonly summary: string
  readonly detail: ReadonlyArray<string>
  /** Positional argument kinds; with `repeats`, the last one may be given any number of times. */
  readonly args: ReadonlyArray<ArgKind>
  readonly repeats?: boolean
  /** Options this command takes, each with a value (`--balance 30` or `--balance=30`). */
  readonly options: ReadonlyArray<string>
}

/** What the parser needs to know about the running application. */
export interface ParseContext {
  /** Names of the running hosts (for `send` and `fault crash-<host>`). */
  readonly hosts: ReadonlyArray<string>
}

/** A parsed line: the command name it was for, and the command or why it was refused. */
export interface Parsed {
  readonly name: string
  readonly command: Either.Either<Command, SandboxError.BadInput>
}

/** Every command the sandbox knows, in the order `help` lists them. */
export const specs: ReadonlyArray<Spec> = [
  spec("new-game", "new-game [nation ...] [--balance N]", "start a game and make it the current one", {
    detail: [
      "Picks a fresh game id and sends two independent messages: SetToStartingPositions to rondel and",
      "OpenAccounts to accounting (no transaction spans both contexts).",
      "Nations default to the six Great Powers; each account starts with --balance millions",
      "(default from --balance on the command line, MAILROOM_SANDBOX_BALANCE, else 20)."
    ],
    args: ["nation"],
    repeats: true,
    options: ["--balance"]
  }),
  spec("games", "games", "list the games the hosts know; * marks the current one"),
  spec("use", "use <gameId>", "make another known game the current one", { args: ["gameId"] }),
  spec("move", "move <nation> <space>", "ask rondel to move a nation (the outcome arrives in the feed)", {
    detail: [
      "Prints the acknowledgment with the Move's message id. 1-3 steps are free, 4-6 cost 2, 4, 6 millions",
      "and wait for accounting's answer; a new move while one waits for payment supersedes it."
    ],
    args: ["nation", "space"]
  }),
  spec("positions", "positions", "draw the rondel of the current game (tokens, pending moves)"),
  spec("balances", "balances", "every account's balance in the current game (bank included)"),
  spec("ledger", "ledger", "every ledger entry of the current game, oldest first"),
  spec("charges", "charges", "every rondel charge accounting received: billing id, amount, status"),
  spec("deposit", "deposit <nation> <amount>", "pay millions from the bank into a nation's account", {
    args: ["nation", "free"]
  }),
  spec(
    "send",
    "send <host> <MessageType> <json> [--message-id ID]",
    "put any contract message in a host's inbox",
    {
      detail: [
        "The payload is decoded and validated exactly as untrusted input is, then delivered through the normal",
        "path. gameId defaults to the current game. Reuse a --message-id to replay a duplicate by hand.",
        `Example: send rondel RondelInvoicePaid {"nation":"Germany","billingId":"bill-m-5","amount":2}`
      ],
      args: ["host", "messageType", "free"],
      options: ["--message-id"]
    }
  ),
  spec("settle", "settle [--timeout D]", "wait until every mailbox and outbox is drained (default 30s)", {
    detail: ["Durations: 500ms, 2s, 1m or a number of milliseconds. Prints how long it took."],
    options: ["--timeout"]
  }),
  spec(
    "stats",
    "stats",
    "per host: mailbox depth, processed, failed, restarts, parked; relay backlog and lag"
  ),
  spec("outbox", "outbox", "committed messages not yet delivered (Postgres mode only)"),
  spec("inbox", "inbox", "delivered messages not yet processed (Postgres mode only)"),
  spec(
    "parked",
    "parked",
    "messages parked after crashing their handler (and relay-parked rows in Postgres mode)"
  ),
  spec("redrive", "redrive <id>", "put a parked message back in its mailbox", { args: ["parkedId"] }),
  spec(
    "fault",
    "fault [save|publish|dispatch|crash-<host>|clear] [count]",
    "inject failures (no argument: list)",
    {
      detail: [
        "save: the next count commits fail before anything is written or sent;",
        "publish / dispatch: the next count event / command deliveries fail after the state was saved;",
        "crash-rondel / crash-accounting: the host's handler dies on its next count messages (supervision",
        "restarts it; a message that dies 3 times is parked). clear disarms everything."
      ],
      args: ["fault", "free"]
    }
  ),
  spec("help", "help [command]", "list commands, or explain one", { args: ["command"] }),
  spec("quit", "quit", "drain every mailbox, then exit")
]

/** The spec of a command name, if there is one. */
export const specOf = (name: string): Spec | undefined => specs.find((s) => s.name === name.toLowerCase())

/** Fault kinds `fault` accepts for these hosts. */
export const faultKinds = (hosts: ReadonlyArray<string>): ReadonlyArray<string> => [
  "save",
  "publish",
  "dispatch",
  ...hosts.map((host) => `crash-${host}`),
  "clear"
]

/** Parses one line; undefined for a blank line or a `#` comment. */
export const parse = (line: string, context: ParseContext): Parsed | undefined => {
  const first = Tokens.nextToken(line, 0)
  if (first === undefined || first.token.text.startsWith("#")) return undefined
  const name = first.token.text.toLowerCase()
  const spec = specOf(name)
  if (spec === undefined) {
    return {
      name,
      command: Either.left(
        new SandboxError.UnknownCommand({
          message: `unknown command "${first.token.text}"; known: ${specs.map((s) => s.name).join(", ")}`
        })
      )
    }
  }
  if (spec.name === "send") return { name, command: parseSend(line, first.token.end, context) }
  const tokens = Tokens.tokenize(line, first.token.end)
  if (tokens.open) {
    return {
      name,
      command: Either.left(new SandboxError.InvalidArgument({ message: "a quote is not closed" }))
    }
  }
  return {
    name,
    command: Either.flatMap(splitOptions(spec, tokens.tokens), ({ args, options }) =>
      parseArgs(spec, args, options, context)
    )
  }
}

/** Parses a duration like `500ms`, `2s`, `1.5 s`, `1m` or a plain number of milliseconds. */
export const parseDuration = (input: string): Duration.Duration | undefined => {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|millis|s|sec|secs|seconds?|m|min|minutes?)?$/i.exec(input.trim())
  if (m === null) return undefined
  const n = Number(m[1])
  const unit = (m[2] ?? "ms").toLowerCase()
  return unit === "ms" || unit === "millis"
    ? Duration.millis(n)
    : unit.startsWith("m")
      ? Duration.minutes(n)
      : Duration.seconds(n)
}

// internal

function spec(
  name: string,
  usage: string,
  summary: string,
  more: Partial<Pick<Spec, "detail" | "args" | "repeats" | "options">> = {}
): Spec {
  return {
    name,
    usage,
    summary,
    detail: more.detail ?? [],
    args: more.args ?? [],
    options: more.options ?? [],
    ...(more.repeats === undefined ? {} : { repeats: more.repeats })
  }
}

type Bad = SandboxError.BadInput
type Options = ReadonlyMap<string, string>

const wrong = (spec: Spec, problem: string): Bad =>
  new SandboxError.WrongArguments({ message: `${problem}; usage: ${spec.usage}` })

const splitOptions = (
  spec: Spec,
  tokens: ReadonlyArray<Tokens.Token>
): Either.Either<{ readonly args: ReadonlyArray<string>; readonly options: Options }, Bad> => {
  const args: Array<string> = []
  const options = new Map<string, string>()
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.quoted || !token.text.startsWith("--")) {
      args.push(token.text)
      continue
    }
    const eq = token.text.indexOf("=")
    const option = (eq < 0 ? token.text : token.text.slice(0, eq)).toLowerCase()
    if (!spec.options.includes(option)) {
      return Either.left(
        new SandboxError.UnknownOption({
          message:
            spec.options.length === 0
              ? `${spec.name} takes no option ${option}`
              : `${spec.name} has no option ${option}; it takes ${spec.options.join(", ")}`
        })
      )
    }
    const value = eq < 0 ? tokens[++i]?.text : token.text.slice(eq + 1)
    if (value === undefined || value === "") {
      return Either.left(new SandboxError.UnknownOption({ message: `${option} needs a value` }))
    }
    options.set(option, value)
  }
  return Either.right({ args, options })
}

const parseArgs = (
  spec: Spec,
  args: ReadonlyArray<string>,
  options: Options,
  context: ParseContext
): Either.Either<Command, Bad> => {
  const none = (command: Command): Either.Either<Command, Bad> =>
    args.length === 0 ? Either.right(command) : Either.left(wrong(spec, `${spec.name} takes no arguments`))
  switch (spec.name) {
    case "new-game":
      return Either.flatMap(nationList(args), (nations) =>
        Either.map(optionalAmount(options.get("--balance"), "--balance", Amount.Amount), (balance) =>
          Command.NewGame({ nations, balance })
        )
      )
    case "games":
      return none(Command.Games())
    case "use":
      if (args.length !== 1) return Either.left(wrong(spec, "use takes one game id"))
      return Either.map(
        decodeArg(GameId.GameId, args[0]!, "game id"),
        (gameId) => Command.Use({ gameId }) as Command
      )
    case "move":
      return parseMove(spec, args)
    case "positions":
      return none(Command.Positions())
    case "balances":
      return none(Command.Balances())
    case "ledger":
      return none(Command.Ledger())
    case "charges":
      return none(Command.Charges())
    case "deposit":
      return parseDeposit(spec, args)
    case "settle": {
      if (args.length > 0) return Either.left(wrong(spec, "settle takes no arguments"))
      const raw = options.get("--timeout")
      if (raw === undefined) return Either.right(Command.Settle({ timeout: undefined }))
      const timeout = parseDuration(raw)
      return timeout === undefined
        ? Either.left(new SandboxError.InvalidArgument({ message: `--timeout: not a duration: "${raw}"` }))
        : Either.right(Command.Settle({ timeout }))
    }
    case "stats":
      return none(Command.Stats())
    case "outbox":
      return none(Command.Outbox())
    case "inbox":
      return none(Command.Inbox())
    case "parked":
      return none(Command.Parked())
    case "redrive":
      return args.length === 1
        ? Either.right(Command.Redrive({ id: args[0]! }))
        : Either.left(wrong(spec, "redrive takes one parked id (see parked)"))
    case "fault":
      return parseFault(spec, args, context)
    case "help":
      if (args.length > 1) return Either.left(wrong(spec, "help takes at most one command name"))
      if (args[0] !== undefined && specOf(args[0]) === undefined) {
        return Either.left(new SandboxError.UnknownCommand({ message: `no command "${args[0]}" to explain` }))
      }
      return Either.right(Command.Help({ topic: args[0]?.toLowerCase() }))
    case "quit":
      return none(Command.Quit())
    default:
      return Either.left(new SandboxError.UnknownCommand({ message: `unknown command "${spec.name}"` }))
  }
}

/** Nations named by one to three words ("Great Britain" works unquoted too), the longest match first. */
const nationAt = (
  args: ReadonlyArray<string>,
  at: number,
  max = args.length
): [Nation.Nation, number] | undefined => {
  for (let k = Math.min(3, max - at); k >= 1; k--) {
    const found = Names.nation(args.slice(at, at + k).join(" "))
    if (found !== undefined) return [found, k]
  }
  return undefined
}

const unknownNation = (input: string): Bad =>
  new SandboxError.UnknownNation({
    message: `unknown nation "${input}"; nations: ${Object.entries(Names.abbreviations)
      .map(([nation, short]) => `${nation} (${short})`)
      .join(", ")}`
  })

const unknownSpace = (input: string): Bad =>
  new SandboxError.UnknownSpace({
    message: `unknown space "${input}"; spaces clockwise: Investor, Import, ProductionOne, ManeuverOne, Taxation, Factory, ProductionTwo, ManeuverTwo`
  })

const nationList = (args: ReadonlyArray<string>): Either.Either<ReadonlyArray<Nation.Nation>, Bad> => {
  const nations: Array<Nation.Nation> = []
  for (let i = 0; i < args.length; ) {
    const found = nationAt(args, i)
    if (found === undefined) return Either.left(unknownNation(args[i]!))
    if (!nations.includes(found[0])) nations.push(found[0])
    i += found[1]
  }
  return Either.right(nations)
}

const parseMove = (spec: Spec, args: ReadonlyArray<string>): Either.Either<Command, Bad> => {
  if (args.length < 2) return Either.left(wrong(spec, "move needs a nation and a space"))
  let nationFound = false
  for (let k = 1; k <= Math.min(3, args.length - 1); k++) {
    const nation = Names.nation(args.slice(0, k).join(" "))
    if (nation === undefined) continue
    nationFound = true
    for (let m = 1; m <= Math.min(2, args.length - k); m++) {
      const space = Names.space(args.slice(k, k + m).join(" "))
      if (space === undefined) continue
      return k + m === args.length
        ? Either.right(Command.Move({ nation, space }))
        : Either.left(
            wrong(spec, `move takes a nation and a space; "${args.slice(k + m).join(" ")}" is extra`)
          )
    }
  }
  return Either.left(
    nationFound ? unknownSpace(args.slice(args.length - 1).join(" ")) : unknownNation(args[0]!)
  )
}

const parseDeposit = (spec: Spec, args: ReadonlyArray<string>): Either.Either<Command, Bad> => {
  if (args.length < 2) return Either.left(wrong(spec, "deposit needs a nation and an amount"))
  const found = nationAt(args, 0, args.length - 1)
  if (found === undefined) return Either.left(unknownNation(args[0]!))
  if (found[1] !== args.length - 1) {
    return Either.left(wrong(spec, "deposit takes a nation and one amount"))
  }
  return Either.map(
    amountArg(args[args.length - 1]!, "amount", Amount.PositiveAmount),
    (amount) => Command.Deposit({ nation: found[0], amount }) as Command
  )
}

const parseFault = (
  spec: Spec,
  args: ReadonlyArray<string>,
  context: ParseContext
): Either.Either<Command, Bad> => {
  if (args.length === 0) return Either.right(Command.Fault({ fault: undefined, count: 0 }))
  if (args.length > 2) return Either.left(wrong(spec, "fault takes a kind and an optional count"))
  const kinds = faultKinds(context.hosts)
  const fault = kinds.find((kind) => kind === args[0]!.toLowerCase())
  if (fault === undefined) {
    return Either.left(
      new SandboxError.InvalidArgument({ message: `unknown fault "${args[0]}"; faults: ${kinds.join(", ")}` })
    )
  }
  if (args[1] === undefined) return Either.right(Command.Fault({ fault, count: 1 }))
  return Either.map(amountArg(args[1], "count", Amount.PositiveAmount), (count) =>
    Command.Fault({ fault, count })
  )
}

const parseSend = (line: string, from: number, context: ParseContext): Either.Either<Command, Bad> => {
  const spec = specOf("send")!
  // Only the words before the JSON are tokenized: the payload is taken raw so its quotes survive.
  let pos = from
  const words: Array<string> = []
  let messageId: string | undefined
  while (words.length < 2) {
    const next = Tokens.nextToken(line, pos)
    if (next === undefined) break
    pos = next.token.end
    if (next.token.text.toLowerCase() === "--message-id") {
      const value = Tokens.nextToken(line, pos)
      if (value === undefined)
        return Either.left(new SandboxError.UnknownOption({ message: "--message-id needs a value" }))
      messageId = value.token.text
      pos = value.token.end
    } else {
      words.push(next.token.text)
    }
  }
  if (words.length < 2)
    return Either.left(wrong(spec, "send needs a host, a message type and a JSON payload"))
  let rest = line.slice(pos).trim()
  const trailing = /(?:^|\s)--message-id(?:\s+|=)(\S+)\s*$/.exec(rest)
  if (trailing !== null) {
    messageId = trailing[1]!.replace(/^["']|["']$/g, "")
    rest = rest.slice(0, trailing.index).trim()
  }
  const host = context.hosts.find((h) => h === words[0]!.toLowerCase())
  if (host === undefined) {
    return Either.left(
      new SandboxError.UnknownHost({ message: `no host "${words[0]}"; hosts: ${context.hosts.join(", ")}` })
    )
  }
  const type = Names.match(Contracts.registry.types, words[1]!)
  if (type === undefined) {
    return Either.left(
      new SandboxError.UnknownMessageType({
        message: `unknown message type "${words[1]}"; types: ${Contracts.registry.types.join(", ")}`
      })
    )
  }
  if (rest === "") return Either.left(wrong(spec, "send needs a JSON payload after the message type"))
  let payload: unknown
  try {
    payload = JSON.parse(rest)
  } catch (error) {
    return Either.left(
      new SandboxError.InvalidJson({ message: `payload is not JSON: ${(error as Error).message}` })
    )
  }
  if (messageId !== undefined) {
    const valid = decodeArg(MessageIdArg, messageId, "--message-id")
    if (Either.isLeft(valid)) return Either.left(valid.left)
  }
  return Either.right(Command.Send({ host, type, payload, messageId }))
}

const MessageIdArg = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200))

const decodeArg = <A, I>(schema: Schema.Schema<A, I>, input: unknown, what: string): Either.Either<A, Bad> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(schema)(input),
    (error) =>
      new SandboxError.InvalidArgument({
        message: `${what}: ${ParseResult.ArrayFormatter.formatErrorSync(error)[0]?.message ?? "is not valid"}`
      })
  )

const amountArg = <I>(
  input: string,
  what: string,
  schema: Schema.Schema<number, I>
): Either.Either<number, Bad> =>
  /^-?\d+(\.\d+)?$/.test(input)
    ? decodeArg(schema, Number(input), what)
    : Either.left(new SandboxError.InvalidArgument({ message: `${what}: not a number: "${input}"` }))

const optionalAmount = <I>(
  input: string | undefined,
  what: string,
  schema: Schema.Schema<number, I>
): Either.Either<number | undefined, Bad> =>
  input === undefined ? Either.right(undefined) : amountArg(input, what, schema)
