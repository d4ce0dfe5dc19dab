import { type Duration, Either } from "effect"
import * as Commands from "./Commands.js"

/** What the command line asked for. */
export interface CliOptions {
  readonly mode: "interactive" | "json"
  /** Read commands from this file instead of stdin (JSON mode). */
  readonly script: string | undefined
  readonly store: "memory" | "postgres"
  readonly databaseUrl: string | undefined
  readonly balance: number | undefined
  readonly idPrefix: string | undefined
  /** JSON mode: settle after each command before printing (reproducible output). */
  readonly wait: boolean
  readonly stepTimeout: Duration.Duration | undefined
  readonly noColor: boolean
  readonly help: boolean
}

/** The `--help` text. */
export const usage = `Usage: npm start -- [options]

The Mailroom sandbox: Imperial's rondel as two hosts (rondel, accounting) talking only by messages.

Options:
  --json                 read commands from stdin, one per line; write one JSON object per line
  --script FILE          like --json, reading the commands from FILE
  --no-wait              JSON mode: print results at once and events as they happen
                         (default: each command waits for the application to settle, then prints its
                         result and the events it caused in causal order, so output is reproducible)
  --step-timeout D       JSON mode: how long one command may take to settle (default 10s)
  --store memory|postgres  where state lives (default memory)
  --database-url URL     Postgres connection (default: DATABASE_URL)
  --balance N            starting balance of new games, in millions
                         (default: MAILROOM_SANDBOX_BALANCE, else 20)
  --id-prefix P          message ids the sandbox mints are P-1, P-2, ... (default m in memory,
                         a fresh random prefix per run with --store postgres)
  --no-color             no colours (also NO_COLOR=1, or when stdout is not a terminal)
  --help                 this text

Type help at the prompt (or send "help" in JSON mode) for the commands.`

/** Parses the command line (without `node` and the script name); Left holds the problem. */
export const parse = (argv: ReadonlyArray<string>): Either.Either<CliOptions, string> => {
  let options: CliOptions = {
    mode: "interactive",
    script: undefined,
    store: "memory",
    databaseUrl: undefined,
    balance: undefined,
    idPrefix: undefined,
    wait: true,
    stepTimeout: undefined,
    noColor: false,
    help: false
  }
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!
    const eq = raw.indexOf("=")
    const flag = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw
    const value = (): string | undefined => (raw.startsWith("--") && eq > 0 ? raw.slice(eq + 1) : argv[++i])
    switch (flag) {
      case "--json":
        options = { ...options, mode: "json" }
        break
      case "--script": {
        const file = value()
        if (file === undefined || file === "") return Either.left("--script needs a file")
        options = { ...options, mode: "json", script: file }
        break
      }
      case "--no-wait":
        options = { ...options, wait: false }
        break
      case "--step-timeout": {
        const d = Commands.parseDuration(value() ?? "")
        if (d === undefined) return Either.left("--step-timeout needs a duration like 10s or 500ms")
        options = { ...options, stepTimeout: d }
        break
      }
      case "--store": {
        const store = value()
        if (store !== "memory" && store !== "postgres") return Either.left("--store is memory or postgres")
        options = { ...options, store }
        break
      }
      case "--database-url": {
        const url = value()
        if (url === undefined || url === "") return Either.left("--database-url needs a URL")
        options = { ...options, databaseUrl: url }
        break
      }
      case "--balance": {
        const text = value() ?? ""
        if (!/^\d+$/.test(text)) return Either.left("--balance needs a whole number of millions, 0 or more")
        options = { ...options, balance: Number(text) }
        break
      }
      case "--id-prefix": {
        const prefix = value() ?? ""
        if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,40}$/.test(prefix)) {
          return Either.left("--id-prefix needs letters, digits or _.:-, starting with a letter or digit")
        }
        options = { ...options, idPrefix: prefix }
        break
      }
      case "--no-color":
        options = { ...options, noColor: true }
        break
      case "--help":
      case "-h":
        options = { ...options, help: true }
        break
      default:
        return Either.left(`unknown option ${raw}`)
    }
  }
  return Either.right(options)
}
