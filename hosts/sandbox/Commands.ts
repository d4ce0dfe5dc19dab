import { Data, Duration } from "effect"
import type * as GameId from "../contracts/GameId.js"
import type * as Nation from "../contracts/Nation.js"
import type * as Space from "../contracts/Space.js"

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
  Outbox: { readonly limit: number }
  Inbox: { readonly limit: number }
  Parked: {}
  Redrive: { readonly id: string }
  Reconcile: { readonly olderThan: Duration.Duration }
  Map: {}
  Flow: { readonly id: string; readonly format: "lanes" | "mermaid" }
  Replay: { readonly gameId: GameId.GameId | undefined }
  Fault: { readonly fault: string | undefined; readonly count: number }
  Timers: {}
  Clock: { readonly advance: Duration.Duration | undefined }
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
/** How many rows `outbox` and `inbox` list per host unless `--limit` says otherwise. */
export const defaultRowLimit = 20

/**
 * Postgres mode: failed deliveries of one message after which the relay parks it. The sandbox sets it rather
 * than leave it to the relay's default, so its help and feed can say when that happens.
 */
export const relayMaxAttempts = 10

/** How old a flow must be before `reconcile` lists it, unless `--older-than` says otherwise. */
export const defaultOlderThan = Duration.minutes(1)

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
  spec("move", "move <nation> <space>", "ask rondel to move a nation; the outcome arrives in the feed", {
    detail: [
      "Prints the acknowledgment with the Move's message id. 1-3 steps are free, 4-6 cost 2, 4, 6 millions",
      "and wait for accounting's answer; a new move while one waits for payment supersedes it."
    ],
    args: ["nation", "space"]
  }),
  spec("positions", "positions", "draw the rondel of the current game (tokens, pending moves)"),
  spec("balances", "balances", "every account's balance in the current game (bank included)"),
  spec("ledger", "ledger", "every ledger entry of the current game, oldest first"),
  spec("charges", "charges", "rondel charges accounting received: billing id, amount, status"),
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
  spec("settle", "settle [--timeout D]", "wait until every mailbox and outbox is drained", {
    detail: ["Durations: 500ms, 2s, 1m or a number of milliseconds (default 30s). Prints how long it took."],
    options: ["--timeout"]
  }),
  spec("stats", "stats", "per host: mailbox, processed, failed, restarts, parked; relay lag"),
  spec("outbox", "outbox [--limit N]", "committed messages not yet delivered (Postgres mode only)", {
    detail: [
      "Per host, the outbox rows the relay has not yet moved to their destination's inbox, oldest first:",
      "message id, type, game, destination, failed attempts, last error and age. At most --limit rows per",
      `host (default ${defaultRowLimit}); the counts above the rows are complete.`
    ],
    options: ["--limit"]
  }),
  spec("inbox", "inbox [--limit N]", "delivered messages not yet processed (Postgres mode only)", {
    detail: [
      "Per host, the inbox rows not yet handled, oldest first: message id, type, game, where it came from",
      "(a host, or external for commands typed here), failed attempts, last error and age. A row with",
      `attempts waits for its next retry. At most --limit rows per host (default ${defaultRowLimit}).`
    ],
    options: ["--limit"]
  }),
  spec("parked", "parked", "messages parked after crashing their handler, or by the relay"),
  spec("redrive", "redrive <id>", "put a parked message back in its mailbox", { args: ["parkedId"] }),
  spec("reconcile", "reconcile [--older-than D]", "list flows stuck for longer than D (default 1m)", {
    detail: [
      "Paid moves still waiting for their payment outcome, and messages parked by a host's supervisor or",
      "(Postgres mode) by the relay, when older than D: 30s, 1m, 0s for everything. A new move of the nation",
      "supersedes a stuck payment (its charge is voided, refunded if it was paid); redrive <id> retries a",
      "parked message."
    ],
    options: ["--older-than"]
  }),
  spec(
    "map",
    "map",
    "the context map: what each host takes, sends and publishes, drawn from their declarations",
    {
      detail: [
        "Commands (sent to one host) and events (published to every subscriber), from outside and between",
        "the hosts, and what one commit of each host holds together. The same map as npm run mailroom -- map."
      ]
    }
  ),
  spec("flow", "flow <message-id> [--format lanes|mermaid]", "draw a message's flow as swimlanes", {
    detail: [
      "One lane per host, the flow's messages in causal order: when each was sent (+ms since the flow began),",
      "how long it waited before it was handled, failed attempts, parking, what still waits. A flow's id is",
      "its first message's id (the Move's id for a paid move); any message of the flow finds it.",
      "--format mermaid prints a Mermaid sequence diagram instead."
    ],
    args: ["free"],
    options: ["--format"]
  }),
  spec("replay", "replay [--game ID]", "rebuild each game's state from its audit log and compare", {
    detail: [
      "Per host and game (every game, or only --game ID): runs the host's decide over the game's own audit log",
      "and compares the state it rebuilds with the stored one: matches, or differs, naming the first fields that",
      "differ. It reads only each host's own audit and state. Run it when the feed is quiet: a game handled",
      "between the two reads may differ for that reason alone."
    ],
    options: ["--game"]
  }),
  spec("timers", "timers", "messages scheduled for later: due time, host, type, game, cause", {
    detail: [
      "Every message a decision scheduled and that has not been delivered yet, soonest first: when it is due",
      "(and in how long; overdue ones are due and not yet delivered), the host that scheduled it, the host it",
      "is for, its type, its game, and the message whose handling scheduled it. In Postgres mode it reads the",
      "outbox rows that have a due time."
    ]
  }),
  spec(
    "clock",
    "clock [advance D]",
    "show the clock; in memory mode, move it ahead and fire what falls due",
    {
      detail: [
        "clock: the time now (and, in memory mode, how far it was moved ahead of real time).",
        "clock advance D (memory mode): moves the clock D ahead (500ms, 2s, 2m); every scheduled message due by",
        "then fires at once, in due order, and the feed shows what follows. Postgres mode runs on real time:",
        "its timers are outbox rows the database's clock judges, so the clock cannot be moved there."
      ],
      args: ["free", "free"]
    }
  ),
  spec(
    "fault",
    "fault [kind] [count]",
    "inject failures (save, publish, dispatch, relay, crash-<host>, drop-<host>)",
    {
      detail: [
        "Without a kind: lists what is armed. count (default 1) is a number of failures; clear disarms all.",
        "save: the next count commits fail before anything is written or sent.",
        "crash-rondel / crash-accounting: the host's handler dies on its next count attempts; each time the",
        "supervisor restarts it (a line in the feed) and retries the message, 3 attempts per message.",
        "drop-rondel / drop-accounting: the host takes its next count messages and does nothing with them (no",
        "  state change, no answer), as a context that never answers would: a paid move then waits for a payment",
        "  outcome that never comes (a deadline, where the domain schedules one, is what ends the wait).",
        "What happens next depends on the mode:",
        "In memory: a message that dies 3 times is parked (parked lists it, redrive <id> retries it) and the",
        "  host goes on with the next one; a failed save loses its message (the feed reports it).",
        "  publish / dispatch: the next count event / command deliveries fail after the state was saved.",
        "In Postgres mode nothing is lost and the relay owns every message: one that dies 3 times goes back",
        "  to the relay (HandedBackToRelay in the feed), which delivers it again after a backoff (100 ms,",
        `  doubling) and parks it only after ${relayMaxAttempts} failed deliveries; so fault crash-accounting 3 delays`,
        "  the message, then it is handled. A failed save is retried the same way (inbox shows the attempts).",
        "  relay: the relay's next count rounds of moving outbox rows fail (about 4 a second per host), so",
        "  messages wait in the outbox. publish and dispatch do not exist there (events and commands are",
        "  rows written in the state's transaction), and relay does not exist in memory."
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
  "relay",
  ...hosts.map((host) => `crash-${host}`),
  ...hosts.map((host) => `drop-${host}`),
  "clear"
]
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
