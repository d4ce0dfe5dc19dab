import { assert, describe, it } from "@effect/vitest"
import { runProgram, sandbox } from "./child.js"

// Every program of the repository parses its flags with @effect/cli: --help exits 0, --version prints the
// version, and an unknown flag or a bad value names the flag, prints the usage and exits 2 without running.

// Each run starts a program under tsx (seconds on a small machine): a generous timeout per test.
const slow = 120_000

describe("command lines", () => {
  it(
    "npm run simulate: an unknown flag is bad usage (2), not a failing seed (1)",
    async () => {
      const typo = await runProgram("scripts/simulate.ts", ["--seed", "5"])
      const help = await runProgram("scripts/simulate.ts", ["--help"])
      assert.strictEqual(typo.code, 2, typo.stderr)
      assert.strictEqual(typo.stdout, "")
      assert.include(typo.stderr, "unknown option --seed (did you mean --seeds?)")
      assert.include(typo.stderr, "Usage: npm run simulate -- [--seeds N]")
      assert.notInclude(typo.stderr, "ERR_PARSE_ARGS")
      assert.strictEqual(help.code, 0, help.stderr)
      assert.include(help.stdout, "--broken inbox|outbox|order")
      assert.notInclude(help.stdout, "\x1b[")
    },
    slow
  )

  it(
    "npm run simulate: the flags still run the seeds they name, and a bad value names its flag",
    async () => {
      const ran = await runProgram("scripts/simulate.ts", ["--seeds", "1", "--from", "3"])
      const bad = await runProgram("scripts/simulate.ts", ["--seeds", "lots"])
      assert.strictEqual(bad.code, 2)
      assert.include(bad.stderr, '--seeds must be a whole number of at least 1; got "lots"')
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.include(ran.stdout, "over seeds 3..3")
      assert.include(ran.stdout, "All 1 seeds hold every invariant")
    },
    slow
  )

  it(
    "npm run host: bad usage exits 2; --help says how to send work to the processes",
    async () => {
      const unknown = await runProgram("hosts/sandbox/host.ts", ["rondel", "--databse-url", "postgres://x"])
      const noDatabase = await runProgram("hosts/sandbox/host.ts", ["rondel"], "", { DATABASE_URL: "" })
      const help = await runProgram("hosts/sandbox/host.ts", ["--help"])
      assert.strictEqual(unknown.code, 2, unknown.stderr)
      assert.include(unknown.stderr, "unknown option --databse-url (did you mean --database-url?)")
      assert.include(unknown.stderr, "Usage: npm run host -- <rondel|accounting>")
      assert.strictEqual(noDatabase.code, 2)
      assert.include(
        noDatabase.stderr,
        "no database for rondel, accounting: pass --database-url URL (or HOST=URL for each host) or set DATABASE_URL"
      )
      assert.strictEqual(help.code, 0, help.stderr)
      assert.include(help.stdout, "HOW TO SEND WORK TO THESE PROCESSES")
      assert.include(help.stdout, "local: [] }) is a front door that runs no host")
      assert.include(help.stdout, "--exit-with-parent")
    },
    slow
  )

  it(
    "npm run bench: bad flags exit 2 before any benchmark runs; --help exits 0",
    async () => {
      const unknown = await runProgram("bench/main.ts", ["--quik"])
      const section = await runProgram("bench/main.ts", ["--only=runtime,speed"])
      const help = await runProgram("bench/main.ts", ["--help"])
      assert.strictEqual(unknown.code, 2, unknown.stderr)
      assert.include(unknown.stderr, "unknown option --quik (did you mean --quick?)")
      assert.include(unknown.stderr, "Usage: npm run bench --")
      assert.notInclude(unknown.stderr, "[bench]")
      assert.strictEqual(section.code, 2)
      assert.include(
        section.stderr,
        '--only takes sections among runtime, cluster, durable, relay, flows, history, scale, timers; got "runtime,speed"'
      )
      assert.strictEqual(help.code, 0, help.stderr)
      assert.include(help.stdout, "--only SECTION,...")
    },
    slow
  )

  it(
    "npm start: a bad value names its option (also given under its old name); a missing value says what it takes",
    async () => {
      const boundary = await sandbox(["--boundary", "mysql"])
      const oldName = await sandbox(["--store", "mysql"])
      const script = await sandbox(["--json", "--script"])
      for (const bad of [boundary, oldName]) {
        assert.strictEqual(bad.code, 2)
        assert.include(bad.stderr, '--boundary must be one of memory, postgres; got "mysql"')
        assert.include(bad.stderr, "Usage: npm start --")
      }
      assert.strictEqual(script.code, 2)
      assert.include(script.stderr, "--script needs a value: --script FILE")
    },
    slow
  )
})
