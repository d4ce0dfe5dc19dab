import { assert, describe, it } from "@effect/vitest"
import { Duration, Either, Option } from "effect"
import * as Nation from "../../hosts/contracts/Nation.js"
import * as Space from "../../hosts/contracts/Space.js"
import * as Commands from "../../hosts/sandbox/Commands.js"
import * as Names from "../../hosts/sandbox/Names.js"
import * as Parser from "../../hosts/sandbox/Parser.js"
import * as Tokens from "../../hosts/sandbox/Tokens.js"

const context: Parser.ParseContext = { hosts: ["rondel", "accounting"] }
const parse = (line: string) => {
  const parsed = Parser.parse(line, context)
  if (parsed === undefined) throw new Error(`"${line}" parsed to nothing`)
  return parsed.command
}
const ok = (line: string) => {
  const command = parse(line)
  if (Either.isLeft(command)) throw new Error(`"${line}": ${command.left._tag}: ${command.left.message}`)
  return command.right
}
const refused = (line: string) => {
  const command = parse(line)
  if (Either.isRight(command)) throw new Error(`"${line}" was accepted as ${command.right._tag}`)
  return command.left
}

describe("sandbox names", () => {
  it("match ignoring case, spaces and hyphens, and by board abbreviation", () => {
    for (const input of [
      "Great Britain",
      "great britain",
      "GREAT-BRITAIN",
      "greatbritain",
      "Great - Britain",
      "gb"
    ]) {
      assert.strictEqual(Names.nation(input), "Great Britain", input)
    }
    assert.strictEqual(Names.nation("austria hungary"), "Austria-Hungary")
    assert.strictEqual(Names.space("production-one"), "ProductionOne")
    assert.strictEqual(Names.space("MANEUVER TWO"), "ManeuverTwo")
    assert.isUndefined(Names.nation("Spain"))
    assert.isUndefined(Names.nation(""))
    assert.isUndefined(Names.space("Production"))
  })

  it("suggest the nearest names for a typo: a prefix, else a letter or two off", () => {
    assert.deepStrictEqual(Names.suggest(Space.Spaces, "Production"), ["ProductionOne", "ProductionTwo"])
    assert.deepStrictEqual(Names.suggest(Space.Spaces, "investr"), ["Investor"])
    assert.deepStrictEqual(Names.suggest(Nation.Nations, "Germny"), ["Germany"])
    assert.deepStrictEqual(Names.suggest(Nation.Nations, "great"), ["Great Britain"])
    assert.deepStrictEqual(Names.suggest(["move", "games", "positions"], "mvoe"), ["move"])
    assert.deepStrictEqual(Names.suggest(Space.Spaces, "Berlin"), [])
    assert.deepStrictEqual(Names.suggest(["game-1", "game-2"], "game-98", { maxEdits: 1 }), [])
    assert.deepStrictEqual(Names.suggest(["game-1", "game-2"], "gmae-1", { maxEdits: 1 }), ["game-1"])
    assert.strictEqual(Names.didYouMean(Nation.Nations, "grate britain"), ' (did you mean "Great Britain"?)')
  })

  it("complete on normalized prefixes", () => {
    assert.deepStrictEqual(Names.completions(["ProductionOne", "ProductionTwo", "Import"], "production-"), [
      "ProductionOne",
      "ProductionTwo"
    ])
  })
})

describe("sandbox tokens", () => {
  it("split on whitespace, group quotes, and flag an unclosed quote", () => {
    assert.deepStrictEqual(
      Tokens.tokenize(`move "Great Britain" 'Production One'`).tokens.map((t) => t.text),
      ["move", "Great Britain", "Production One"]
    )
    assert.isTrue(Tokens.tokenize(`move "Great`).open)
  })
})

describe("sandbox command parsing", () => {
  it("skips blank lines and comments", () => {
    assert.isUndefined(Parser.parse("   ", context))
    assert.isUndefined(Parser.parse("# a comment", context))
  })

  it("reads every command", () => {
    assert.deepStrictEqual(ok("new-game"), Commands.Command.NewGame({ nations: [], balance: undefined }))
    assert.deepStrictEqual(
      ok("NEW-GAME Germany Great Britain italy Germany --balance=7"),
      Commands.Command.NewGame({ nations: ["Germany", "Great Britain", "Italy"], balance: 7 })
    )
    assert.deepStrictEqual(ok("use game-3"), Commands.Command.Use({ gameId: "game-3" as never }))
    assert.deepStrictEqual(
      ok("move great britain production one"),
      Commands.Command.Move({ nation: "Great Britain", space: "ProductionOne" })
    )
    assert.deepStrictEqual(ok("deposit RU 12"), Commands.Command.Deposit({ nation: "Russia", amount: 12 }))
    assert.deepStrictEqual(ok("settle"), Commands.Command.Settle({ timeout: undefined }))
    assert.deepStrictEqual(
      ok("fault crash-accounting 4"),
      Commands.Command.Fault({ fault: "crash-accounting", count: 4 })
    )
    assert.deepStrictEqual(ok("fault"), Commands.Command.Fault({ fault: undefined, count: 0 }))
    assert.deepStrictEqual(ok("redrive rondel/1"), Commands.Command.Redrive({ id: "rondel/1" }))
    assert.deepStrictEqual(ok("help move"), Commands.Command.Help({ topic: "move" }))
    assert.deepStrictEqual(ok("outbox"), Commands.Command.Outbox({ limit: Commands.defaultRowLimit }))
    assert.deepStrictEqual(ok("inbox --limit=5"), Commands.Command.Inbox({ limit: 5 }))
    assert.deepStrictEqual(
      ok("reconcile"),
      Commands.Command.Reconcile({ olderThan: Commands.defaultOlderThan })
    )
    assert.strictEqual(Duration.toMillis(Commands.defaultOlderThan), 60_000)
    assert.deepStrictEqual(
      ok("reconcile --older-than 30s"),
      Commands.Command.Reconcile({ olderThan: Duration.seconds(30) })
    )
    assert.deepStrictEqual(ok("fault relay 8"), Commands.Command.Fault({ fault: "relay", count: 8 }))
    for (const name of [
      "games",
      "positions",
      "balances",
      "ledger",
      "charges",
      "stats",
      "outbox",
      "inbox",
      "parked",
      "quit"
    ]) {
      assert.strictEqual(ok(name)._tag.toLowerCase(), name)
    }
  })

  it("reads durations", () => {
    assert.strictEqual(Duration.toMillis(Commands.parseDuration("1.5s")!), 1500)
    assert.strictEqual(Duration.toMillis(Commands.parseDuration("250")!), 250)
    assert.strictEqual(Duration.toMillis(Commands.parseDuration("2 minutes")!), 120_000)
    assert.isUndefined(Commands.parseDuration("soon"))
  })

  it("takes send's payload raw, with --message-id before or after it", () => {
    const expected = Commands.Command.Send({
      host: "rondel",
      type: "Move",
      payload: { nation: "Great Britain", space: "Import" },
      messageId: "x 1"
    })
    assert.deepStrictEqual(
      ok(`send rondel move {"nation":"Great Britain","space":"Import"} --message-id "x 1"`),
      expected
    )
    assert.deepStrictEqual(
      ok(`send Rondel --message-id "x 1" Move {"nation":"Great Britain","space":"Import"}`),
      expected
    )
    assert.deepStrictEqual(
      ok(`send accounting Deposit {"nation":"Italy","amount":3}`),
      Commands.Command.Send({
        host: "accounting",
        type: "Deposit",
        payload: { nation: "Italy", amount: 3 },
        messageId: undefined
      })
    )
  })

  it("refuses bad input with a tag naming the class", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["teleport Germany", "UnknownCommand"],
      ["move Germany", "WrongArguments"],
      ["move Germany Import Factory", "WrongArguments"],
      ["games all", "WrongArguments"],
      ["move Prussia Import", "UnknownNation"],
      ["move Germany Berlin", "UnknownSpace"],
      ["new-game --seed 3", "UnknownOption"],
      ["new-game --balance", "UnknownOption"],
      ["deposit Germany -1", "InvalidArgument"],
      ["fault crash-bank", "InvalidArgument"],
      ["send bank Move {}", "UnknownHost"],
      ["send rondel Jump {}", "UnknownMessageType"],
      ["send rondel Move {nation: Germany}", "InvalidJson"],
      ["send rondel Move {} --message-id", "UnknownOption"],
      ["help me", "UnknownCommand"],
      ["reconcile now", "WrongArguments"],
      ["reconcile --older-than soon", "InvalidArgument"],
      ["reconcile --age 1m", "UnknownOption"],
      ["outbox --limit 0", "InvalidArgument"],
      ["inbox rondel", "WrongArguments"],
      ["flow", "WrongArguments"],
      ["map now", "WrongArguments"],
      ["flow m-1 --format svg", "InvalidArgument"]
    ]
    for (const [line, tag] of cases) assert.strictEqual(refused(line)._tag, tag, line)
  })

  it("suggests the nearest name on a typo", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["move Germany Production", "did you mean ProductionOne or ProductionTwo?"],
      ["move Great Britain Productio One", "did you mean ProductionOne?"],
      ["move Germny Investor", "did you mean Germany?"],
      ["new-game Germany Itly", "did you mean Italy?"],
      ["mvoe Germany Investor", "did you mean move?"],
      ["help posiitons", "did you mean positions?"],
      ["send rondle Move {}", "did you mean rondel?"],
      ["send rondel Mvoe {}", "did you mean Move?"],
      ["fault crash-acounting", "did you mean crash-accounting?"],
      ["new-game --balence 3", "did you mean --balance?"]
    ]
    for (const [line, hint] of cases) assert.include(refused(line).message, hint, line)
    assert.notInclude(refused("move Germany Berlin").message, "did you mean")
  })

  it("fault counts and row limits are counts, with an upper bound; not millions", () => {
    assert.deepStrictEqual(
      ok(`fault save ${Parser.maxFaultCount}`),
      Commands.Command.Fault({ fault: "save", count: Parser.maxFaultCount })
    )
    const huge = refused("fault save 99999999999999999999")
    assert.strictEqual(huge._tag, "InvalidArgument")
    assert.strictEqual(
      huge.message,
      'count: must be at most 1,000,000 (a number of failures); got "99999999999999999999"'
    )
    assert.include(refused("fault save 2.5").message, "must be a whole number of failures")
    assert.include(refused("fault save 0").message, "must be at least 1")
    assert.include(
      refused("outbox --limit 20000").message,
      "--limit: must be at most 10,000 (a number of rows)"
    )
    for (const line of ["fault save 99999999999999999999", "fault save 2.5", "outbox --limit 20000"]) {
      assert.notInclude(refused(line).message, "millions", line)
    }
  })

  it("timers, clock and clock advance parse; a bad duration or shape names the problem", () => {
    const parse = (line: string) => Parser.parse(line, { hosts: ["rondel", "accounting"] })!.command
    assert.deepStrictEqual(parse("timers"), Either.right(Commands.Command.Timers()))
    assert.deepStrictEqual(parse("clock"), Either.right(Commands.Command.Clock({ advance: undefined })))
    assert.deepStrictEqual(
      parse("clock advance 2m"),
      Either.right(Commands.Command.Clock({ advance: Duration.minutes(2) }))
    )
    assert.match(
      Either.getLeft(parse("clock advance soon")).pipe(Option.getOrThrow).message,
      /not a duration/
    )
    assert.match(Either.getLeft(parse("clock forward 2m")).pipe(Option.getOrThrow).message, /usage: clock/)
    assert.deepStrictEqual(
      parse("fault drop-accounting 2"),
      Either.right(Commands.Command.Fault({ fault: "drop-accounting", count: 2 }))
    )
  })

  it("every spec has usage and summary, and the names are the fixed ones", () => {
    assert.deepStrictEqual(
      Commands.specs.map((s) => s.name),
      [
        "new-game",
        "games",
        "use",
        "move",
        "positions",
        "balances",
        "ledger",
        "charges",
        "deposit",
        "send",
        "settle",
        "stats",
        "outbox",
        "inbox",
        "parked",
        "redrive",
        "reconcile",
        "map",
        "flow",
        "replay",
        "timers",
        "clock",
        "fault",
        "help",
        "quit"
      ]
    )
    for (const spec of Commands.specs) {
      assert.isTrue(spec.usage.startsWith(spec.name), spec.name)
      assert.isAbove(spec.summary.length, 5)
    }
  })
})
