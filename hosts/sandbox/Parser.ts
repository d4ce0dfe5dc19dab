import { Either, ParseResult, Schema } from "effect"
import * as Amount from "../contracts/Amount.js"
import * as Contracts from "../contracts/Contracts.js"
import * as GameId from "../contracts/GameId.js"
import * as Nation from "../contracts/Nation.js"
import * as Space from "../contracts/Space.js"
import * as Commands from "./Commands.js"
import * as Names from "./Names.js"
import * as SandboxError from "./SandboxError.js"
import * as Tokens from "./Tokens.js"

/** What the parser needs to know about the running application. */
export interface ParseContext {
  /** Names of the running hosts (for `send` and `fault crash-<host>`). */
  readonly hosts: ReadonlyArray<string>
}

/** A parsed line: the command name it was for, and the command or why it was refused. */
export interface Parsed {
  readonly name: string
  readonly command: Either.Either<Commands.Command, SandboxError.BadInput>
}
/** Parses one line; undefined for a blank line or a `#` comment. */
export const parse = (line: string, context: ParseContext): Parsed | undefined => {
  const first = Tokens.nextToken(line, 0)
  if (first === undefined || first.token.text.startsWith("#")) return undefined
  const name = first.token.text.toLowerCase()
  const spec = Commands.specOf(name)
  if (spec === undefined) {
    return {
      name,
      command: Either.left(
        new SandboxError.UnknownCommand({
          message: `unknown command "${first.token.text}"${Names.didYouMean(commandNames, first.token.text)}; known: ${commandNames.join(", ")}`
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
// internal

type Bad = SandboxError.BadInput
type Options = ReadonlyMap<string, string>

const commandNames = Commands.specs.map((s) => s.name)

/** The most failures `fault` arms at once: it counts failures, so more would never run out in a session. */
export const maxFaultCount = 1_000_000

/** The most rows `outbox` and `inbox` list per host. */
export const maxRowLimit = 10_000

const wrong = (spec: Commands.Spec, problem: string): Bad =>
  new SandboxError.WrongArguments({ message: `${problem}; usage: ${spec.usage}` })

const splitOptions = (
  spec: Commands.Spec,
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
              : `${spec.name} has no option ${option}${Names.didYouMean(spec.options, option)}; it takes ${spec.options.join(", ")}`
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
  spec: Commands.Spec,
  args: ReadonlyArray<string>,
  options: Options,
  context: ParseContext
): Either.Either<Commands.Command, Bad> => {
  const none = (command: Commands.Command): Either.Either<Commands.Command, Bad> =>
    args.length === 0 ? Either.right(command) : Either.left(wrong(spec, `${spec.name} takes no arguments`))
  switch (spec.name) {
    case "new-game":
      return Either.flatMap(nationList(args), (nations) =>
        Either.map(optionalAmount(options.get("--balance"), "--balance", Amount.Amount), (balance) =>
          Commands.Command.NewGame({ nations, balance })
        )
      )
    case "games":
      return none(Commands.Command.Games())
    case "use":
      if (args.length !== 1) return Either.left(wrong(spec, "use takes one game id"))
      return Either.map(
        decodeArg(GameId.GameId, args[0]!, "game id"),
        (gameId) => Commands.Command.Use({ gameId }) as Commands.Command
      )
    case "move":
      return parseMove(spec, args)
    case "positions":
      return none(Commands.Command.Positions())
    case "balances":
      return none(Commands.Command.Balances())
    case "ledger":
      return none(Commands.Command.Ledger())
    case "charges":
      return none(Commands.Command.Charges())
    case "deposit":
      return parseDeposit(spec, args)
    case "settle": {
      if (args.length > 0) return Either.left(wrong(spec, "settle takes no arguments"))
      const raw = options.get("--timeout")
      if (raw === undefined) return Either.right(Commands.Command.Settle({ timeout: undefined }))
      const timeout = Commands.parseDuration(raw)
      return timeout === undefined
        ? Either.left(new SandboxError.InvalidArgument({ message: `--timeout: not a duration: "${raw}"` }))
        : Either.right(Commands.Command.Settle({ timeout }))
    }
    case "stats":
      return none(Commands.Command.Stats())
    case "outbox":
    case "inbox": {
      if (args.length > 0) return Either.left(wrong(spec, `${spec.name} takes no arguments`))
      const raw = options.get("--limit")
      return Either.map(
        raw === undefined
          ? Either.right(Commands.defaultRowLimit)
          : countArg(raw, "--limit", maxRowLimit, "rows"),
        (limit) =>
          spec.name === "outbox" ? Commands.Command.Outbox({ limit }) : Commands.Command.Inbox({ limit })
      )
    }
    case "parked":
      return none(Commands.Command.Parked())
    case "redrive":
      return args.length === 1
        ? Either.right(Commands.Command.Redrive({ id: args[0]! }))
        : Either.left(wrong(spec, "redrive takes one parked id (see parked)"))
    case "reconcile": {
      if (args.length > 0) return Either.left(wrong(spec, "reconcile takes no arguments"))
      const raw = options.get("--older-than")
      if (raw === undefined)
        return Either.right(Commands.Command.Reconcile({ olderThan: Commands.defaultOlderThan }))
      const olderThan = Commands.parseDuration(raw)
      return olderThan === undefined
        ? Either.left(new SandboxError.InvalidArgument({ message: `--older-than: not a duration: "${raw}"` }))
        : Either.right(Commands.Command.Reconcile({ olderThan }))
    }
    case "map":
      return none(Commands.Command.Map())
    case "flow": {
      if (args.length !== 1) return Either.left(wrong(spec, "flow takes one message id"))
      const format = (options.get("--format") ?? "lanes").toLowerCase()
      return format === "lanes" || format === "mermaid"
        ? Either.right(Commands.Command.Flow({ id: args[0]!, format }))
        : Either.left(
            new SandboxError.InvalidArgument({ message: `--format: lanes or mermaid, not "${format}"` })
          )
    }
    case "replay": {
      if (args.length > 0)
        return Either.left(wrong(spec, "replay takes no arguments (--game ID for one game)"))
      const raw = options.get("--game")
      return raw === undefined
        ? Either.right(Commands.Command.Replay({ gameId: undefined }))
        : Either.map(
            decodeArg(GameId.GameId, raw, "game id"),
            (gameId) => Commands.Command.Replay({ gameId }) as Commands.Command
          )
    }
    case "fault":
      return parseFault(spec, args, context)
    case "timers":
      return none(Commands.Command.Timers())
    case "clock": {
      if (args.length === 0) return Either.right(Commands.Command.Clock({ advance: undefined }))
      if (args[0]!.toLowerCase() !== "advance" || args.length !== 2)
        return Either.left(wrong(spec, "clock takes nothing, or advance and a duration"))
      const advance = Commands.parseDuration(args[1]!)
      return advance === undefined
        ? Either.left(
            new SandboxError.InvalidArgument({ message: `clock advance: not a duration: "${args[1]}"` })
          )
        : Either.right(Commands.Command.Clock({ advance }))
    }
    case "help":
      if (args.length > 1) return Either.left(wrong(spec, "help takes at most one command name"))
      if (args[0] !== undefined && Commands.specOf(args[0]) === undefined) {
        return Either.left(
          new SandboxError.UnknownCommand({
            message: `no command "${args[0]}" to explain${Names.didYouMean(commandNames, args[0])}; commands: ${commandNames.join(", ")}`
          })
        )
      }
      return Either.right(Commands.Command.Help({ topic: args[0]?.toLowerCase() }))
    case "quit":
      return none(Commands.Command.Quit())
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
    message: `unknown nation "${input}"${Names.didYouMean(Nation.Nations, input)}; nations: ${Object.entries(
      Names.abbreviations
    )
      .map(([nation, short]) => `${nation} (${short})`)
      .join(", ")}`
  })

const unknownSpace = (input: string): Bad =>
  new SandboxError.UnknownSpace({
    message: `unknown space "${input}"${Names.didYouMean(Space.Spaces, input)}; spaces clockwise: ${Space.Spaces.join(", ")}`
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

const parseMove = (
  spec: Commands.Spec,
  args: ReadonlyArray<string>
): Either.Either<Commands.Command, Bad> => {
  if (args.length < 2) return Either.left(wrong(spec, "move needs a nation and a space"))
  // The longest run of words naming a nation; what follows it is the space.
  let nationWords = 0
  for (let k = 1; k <= Math.min(3, args.length - 1); k++) {
    const nation = Names.nation(args.slice(0, k).join(" "))
    if (nation === undefined) continue
    nationWords = k
    for (let m = 1; m <= Math.min(2, args.length - k); m++) {
      const space = Names.space(args.slice(k, k + m).join(" "))
      if (space === undefined) continue
      return k + m === args.length
        ? Either.right(Commands.Command.Move({ nation, space }))
        : Either.left(
            wrong(spec, `move takes a nation and a space; "${args.slice(k + m).join(" ")}" is extra`)
          )
    }
  }
  return Either.left(
    nationWords > 0 ? unknownSpace(args.slice(nationWords).join(" ")) : unknownNation(args[0]!)
  )
}

const parseDeposit = (
  spec: Commands.Spec,
  args: ReadonlyArray<string>
): Either.Either<Commands.Command, Bad> => {
  if (args.length < 2) return Either.left(wrong(spec, "deposit needs a nation and an amount"))
  const found = nationAt(args, 0, args.length - 1)
  if (found === undefined) return Either.left(unknownNation(args[0]!))
  if (found[1] !== args.length - 1) {
    return Either.left(wrong(spec, "deposit takes a nation and one amount"))
  }
  return Either.map(
    amountArg(args[args.length - 1]!, "amount", Amount.PositiveAmount),
    (amount) => Commands.Command.Deposit({ nation: found[0], amount }) as Commands.Command
  )
}

const parseFault = (
  spec: Commands.Spec,
  args: ReadonlyArray<string>,
  context: ParseContext
): Either.Either<Commands.Command, Bad> => {
  if (args.length === 0) return Either.right(Commands.Command.Fault({ fault: undefined, count: 0 }))
  if (args.length > 2) return Either.left(wrong(spec, "fault takes a kind and an optional count"))
  const kinds = Commands.faultKinds(context.hosts)
  const fault = kinds.find((kind) => kind === args[0]!.toLowerCase())
  if (fault === undefined) {
    return Either.left(
      new SandboxError.InvalidArgument({
        message: `unknown fault "${args[0]}"${Names.didYouMean(kinds, args[0]!)}; faults: ${kinds.join(", ")}`
      })
    )
  }
  if (args[1] === undefined) return Either.right(Commands.Command.Fault({ fault, count: 1 }))
  return Either.map(countArg(args[1], "count", maxFaultCount, "failures"), (count) =>
    Commands.Command.Fault({ fault, count })
  )
}

const parseSend = (
  line: string,
  from: number,
  context: ParseContext
): Either.Either<Commands.Command, Bad> => {
  const spec = Commands.specOf("send")!
  // Only the words before the JSON are tokenized: the payload is taken raw so its quotes survive.
  let pos = from
  const words: Array<string> = []
  let messageId: string | undefined
  while (true) {
    const next = Tokens.nextToken(line, pos)
    if (next === undefined) break
    if (next.token.text.toLowerCase() === "--message-id") {
      const value = Tokens.nextToken(line, next.token.end)
      if (value === undefined) {
        return Either.left(new SandboxError.UnknownOption({ message: "--message-id needs a value" }))
      }
      messageId = value.token.text
      pos = value.token.end
    } else if (words.length < 2) {
      words.push(next.token.text)
      pos = next.token.end
    } else break
  }
  if (words.length < 2)
    return Either.left(wrong(spec, "send needs a host, a message type and a JSON payload"))
  let rest = line.slice(pos).trim()
  if (/(?:^|\s)--message-id=?\s*$/.test(rest)) {
    return Either.left(new SandboxError.UnknownOption({ message: "--message-id needs a value" }))
  }
  const trailing = /(?:^|\s)--message-id(?:\s+|=)("[^"]*"|'[^']*'|\S+)\s*$/.exec(rest)
  if (trailing !== null) {
    messageId = trailing[1]!.replace(/^["']|["']$/g, "")
    rest = rest.slice(0, trailing.index).trim()
  }
  const host = context.hosts.find((h) => h === words[0]!.toLowerCase())
  if (host === undefined) {
    return Either.left(
      new SandboxError.UnknownHost({
        message: `no host "${words[0]}"${Names.didYouMean(context.hosts, words[0]!)}; hosts: ${context.hosts.join(", ")}`
      })
    )
  }
  const type = Names.match(Contracts.registry.types, words[1]!)
  if (type === undefined) {
    return Either.left(
      new SandboxError.UnknownMessageType({
        message: `unknown message type "${words[1]}"${Names.didYouMean(Contracts.registry.types, words[1]!)}; types: ${Contracts.registry.types.join(", ")}`
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
  return Either.right(Commands.Command.Send({ host, type, payload, messageId }))
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

/** A count of things (failures to inject, rows to list): a whole number from 1 to `max`. */
const countArg = (input: string, what: string, max: number, unit: string): Either.Either<number, Bad> => {
  const most = max.toLocaleString("en")
  const problem = (text: string) =>
    Either.left(new SandboxError.InvalidArgument({ message: `${what}: ${text}; got "${input}"` }))
  if (!/^[+-]?\d+$/.test(input)) return problem(`must be a whole number of ${unit} from 1 to ${most}`)
  const n = Number(input)
  if (n < 1) return problem(`must be at least 1 (a number of ${unit})`)
  if (n > max) return problem(`must be at most ${most} (a number of ${unit})`)
  return Either.right(n)
}

const optionalAmount = <I>(
  input: string | undefined,
  what: string,
  schema: Schema.Schema<number, I>
): Either.Either<number | undefined, Bad> =>
  input === undefined ? Either.right(undefined) : amountArg(input, what, schema)
