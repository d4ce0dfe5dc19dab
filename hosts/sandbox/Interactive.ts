import { Deferred, Duration, Effect, Either, Exit, Queue } from "effect"
import type { Scope } from "effect"
import * as readline from "node:readline"
import * as Application from "../../src/commit/Application.js"
import * as Commands from "./Commands.js"
import * as Completion from "./Completion.js"
import * as Drain from "./Drain.js"
import * as Feed from "./Feed.js"
import * as Render from "./Render.js"
import * as SandboxError from "./SandboxError.js"
import * as Session from "./Session.js"
import type * as Boundary from "./Boundary.js"
import * as Style from "./Style.js"
import * as Watch from "./Watch.js"

/** Where the interactive mode reads and writes, and how it draws. */
export interface InteractiveOptions {
  readonly session: Session.SessionOptions
  readonly style: Style.Style
  readonly input: NodeJS.ReadableStream
  readonly output: NodeJS.WritableStream
  /** True when input and output are a terminal: line editing, history, completion, a redrawn prompt. */
  readonly terminal: boolean
  /** Called with a function that prints above the prompt, so log lines do not garble the line being typed. */
  readonly onPrinter?: (print: (text: string) => void) => void
  /** How long the drain at the end may take before giving up (default 30 seconds). */
  readonly drainTimeout?: Duration.DurationInput
}

/**
 * The interactive sandbox: a prompt naming the current game, line editing and history (Node's readline: the
 * platform Terminal reads lines but has no completion or history), tab completion of commands, nations,
 * spaces, hosts, message types, games and parked ids, and the live feed printed above the prompt.
 */
export const run = (
  options: InteractiveOptions
): Effect.Effect<Drain.Outcome, never, Boundary.Services | Scope.Scope> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const session = yield* Session.make(options.session)
    const watch = yield* Watch.make
    const { style, output } = options

    const context = Effect.map(
      Effect.all([session.games, session.parkedIds]),
      ([games, parkedIds]): Completion.CompletionContext => ({
        hosts: session.hosts,
        games,
        parkedIds,
        consumes: session.consumes
      })
    )
    // Completion is synchronous over a snapshot refreshed after each command and feed batch: an asynchronous
    // completer lets an Enter typed right after Tab overtake the completion.
    let snapshot = yield* context
    const refresh = Effect.flatMap(context, (next) =>
      Effect.sync(() => {
        snapshot = next
      })
    )
    const completer = (line: string): [Array<string>, string] => Completion.complete(line, snapshot)

    const rl = yield* Effect.acquireRelease(
      Effect.sync(() =>
        readline.createInterface({
          input: options.input,
          output,
          terminal: options.terminal,
          completer,
          historySize: 1000,
          removeHistoryDuplicates: true
        })
      ),
      (rl) => Effect.sync(() => rl.close())
    )
    const lines = yield* Queue.unbounded<string | undefined>()
    rl.on("line", (line) => Queue.unsafeOffer(lines, line))
    rl.on("close", () => Queue.unsafeOffer(lines, undefined))
    // Ctrl-C clears a half-typed line; on an empty line it quits like `quit`; while draining it leaves at once.
    const leave = yield* Deferred.make<void>()
    let draining = false
    rl.on("SIGINT", () => {
      if (draining) {
        Deferred.unsafeDone(leave, Exit.void)
      } else if (rl.line === "") {
        output.write("\n")
        Queue.unsafeOffer(lines, "quit")
      } else {
        rl.write(null, { ctrl: true, name: "e" })
        rl.write(null, { ctrl: true, name: "u" })
      }
    })

    let prompting = false
    const printNow = (text: string) => {
      if (prompting && options.terminal) {
        readline.clearLine(output, 0)
        readline.cursorTo(output, 0)
        output.write(`${text}\n`)
        rl.prompt(true)
      } else {
        output.write(`${text}\n`)
      }
    }
    options.onPrinter?.(printNow)
    const print = (text: string) => Effect.sync(() => printNow(text))
    const printItems = (items: ReadonlyArray<Feed.FeedItem>) =>
      Effect.zipRight(print(items.map((item) => Feed.toText(item, style)).join("\n")), refresh)
    // The feed runs beside the prompt; `flush` prints what is due at once, ahead of a command's own output.
    const flush = Effect.flatMap(watch.drain, (items) =>
      items.length === 0 ? Effect.void : printItems(items)
    )
    yield* Effect.forkScoped(watch.live(printItems))

    const prompt = Effect.gen(function* () {
      yield* refresh
      const game = yield* session.currentGame
      rl.setPrompt(
        `${Style.bold(style, "mailroom")}${game === undefined ? "" : ` ${Style.cyan(style, game)}`}> `
      )
      rl.prompt()
      prompting = true
    })

    const showBoard = Effect.gen(function* () {
      yield* Effect.ignore(app.settle({ timeout: Duration.seconds(2) }))
      yield* flush
      const board = yield* Effect.either(session.execute(Commands.Command.Positions()))
      if (Either.isRight(board)) yield* print(Render.result(board.right, style))
    })

    yield* print(banner(style, app.boundary, options.session.balance))
    while (true) {
      yield* prompt
      const line = yield* Queue.take(lines)
      prompting = false
      if (line === undefined) break
      // Without a terminal nothing echoes the input: write it after the prompt so a transcript reads well.
      if (!options.terminal) output.write(`${line}\n`)
      const parsed = session.parse(line)
      if (parsed === undefined) continue
      if (Either.isLeft(parsed.command)) {
        yield* print(Render.failure(SandboxError.describe(parsed.command.left), style))
        continue
      }
      const command = parsed.command.right
      if (Commands.Command.$is("Quit")(command)) break
      // Lines still due from earlier commands come first; what this command causes follows its result.
      yield* flush
      const outcome = yield* Effect.either(session.execute(command))
      if (Either.isLeft(outcome)) {
        yield* print(Render.failure(SandboxError.describe(outcome.left), style))
        continue
      }
      yield* print(Render.result(outcome.right, style))
      if (outcome.right.command === "new-game" || outcome.right.command === "use") yield* showBoard
    }

    // quit, Ctrl-D or Ctrl-C on an empty line: drain, show what it caused, then let the scope stop the hosts.
    const timeout = Duration.decode(options.drainTimeout ?? Duration.seconds(30))
    const kept =
      app.boundary === "postgres"
        ? "it stays stored, and the next start delivers it"
        : "in memory, it is lost when the sandbox stops"
    draining = true
    yield* print(Style.dim(style, "draining mailboxes... (Ctrl-C leaves at once)"))
    const outcome = yield* Drain.drain({
      timeout,
      firstAfter: Duration.seconds(1),
      every: Duration.seconds(3),
      leave,
      progress: (pending, waited) =>
        print(
          Style.yellow(
            style,
            `still draining after ${Math.round(Duration.toSeconds(waited))}s: ${pending} (Ctrl-C leaves at once)`
          )
        )
    })
    yield* flush
    if (outcome === "drained") {
      yield* print("bye")
    } else {
      const left = yield* Drain.pending
      const why =
        outcome === "left" ? "left without draining" : `gave up draining after ${Duration.format(timeout)}`
      yield* print(
        Render.failure(
          { tag: "NotDrained", message: `${why}${left === "" ? "" : `: ${left}`}; ${kept}` },
          style
        )
      )
    }
    return outcome
  })

// internal

const banner = (style: Style.Style, boundary: string, balance: number): string =>
  [
    `${Style.bold(style, "Mailroom sandbox")}: the rondel of Imperial, as two hosts (rondel, accounting) talking by messages.`,
    Style.dim(
      style,
      `boundary: ${boundary}; starting balance ${balance}M. Try: new-game, move Germany Investor, move Germany Factory, positions. help lists everything; Tab completes.`
    )
  ].join("\n")
