import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { jsonLines, sandbox } from "./child.js"

describe("sandbox entry point", () => {
  it("--json reads stdin, writes only JSON lines, and exits 0 at the end of input", async () => {
    const ran = await sandbox(
      ["--json"],
      "new-game Germany\nmove Germany Investor\nmove Germany Taxation\nbogus\npositions\nbalances\n",
      { MAILROOM_SANDBOX_BALANCE: "3" }
    )
    assert.strictEqual(ran.code, 0, ran.stderr)
    const lines = jsonLines(ran.stdout)
    const results = lines.filter((line) => "ok" in line)
    assert.deepStrictEqual(
      results.map((r) => [r.command, r.ok]),
      [
        ["new-game", true],
        ["move", true],
        ["move", true],
        ["bogus", false],
        ["positions", true],
        ["balances", true]
      ]
    )
    assert.strictEqual(results[0]!.startingBalance, 3)
    assert.isTrue(lines.some((line) => line.event === "RondelInvoicePaid" && line.amount === 2))
    assert.deepStrictEqual(results[4]!.positions, [{ nation: "Germany", current: "Taxation", pending: null }])
    assert.deepStrictEqual(results[5]!.balances, [
      { account: "Germany", amount: 1 },
      { account: "Bank", amount: -1 }
    ])
  })

  it("--json: every stdout line is JSON through a crash, a restart, a parked message and its redrive", async () => {
    const ran = await sandbox(
      ["--json"],
      [
        "new-game Germany France",
        "move Germany Investor",
        "fault crash-accounting 3",
        "move Germany Factory",
        "parked",
        "redrive accounting/1",
        "positions",
        "stats",
        ""
      ].join("\n")
    )
    assert.strictEqual(ran.code, 0, ran.stderr)
    const parsed = jsonLines(ran.stdout)
    assert.deepStrictEqual(
      parsed.filter((line) => line.event === "HostRestarted").map((line) => line.attempts),
      [1, 2, 3]
    )
    assert.strictEqual(parsed.filter((line) => line.event === "MessageParked").length, 1)
    assert.deepStrictEqual(
      parsed.filter((line) => "ok" in line).map((line) => [line.command, line.ok]),
      [
        ["new-game", true],
        ["move", true],
        ["fault", true],
        ["move", true],
        ["parked", true],
        ["redrive", true],
        ["positions", true],
        ["stats", true]
      ]
    )
    assert.deepInclude(parsed.find((line) => line.command === "positions")!.positions[0], {
      nation: "Germany",
      current: "Factory"
    })
    // Log lines (the supervisor's warning about the parked message) go to stderr.
    assert.include(ran.stderr, "message parked after 3 attempts")
  })

  it("--script FILE runs the file the same way; quit ends it early", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-"))
    const file = join(dir, "game.txt")
    writeFileSync(
      file,
      "# a scripted game\nnew-game France --balance 9\n\nbalances\nquit\nmove France Import\n"
    )
    const ran = await sandbox(["--script", file, "--id-prefix", "s"])
    assert.strictEqual(ran.code, 0, ran.stderr)
    const results = jsonLines(ran.stdout).filter((line) => "ok" in line)
    assert.deepStrictEqual(
      results.map((r) => r.command),
      ["new-game", "balances", "quit"]
    )
    assert.strictEqual(results[0]!.messages[0].messageId, "s-1")
    assert.strictEqual(results[1]!.balances[0].amount, 9)
  })

  it("--boundary postgres (or its old name --store) without a database URL, or with one that never answers, says why and exits 1", async () => {
    const noUrl = await sandbox(["--json", "--boundary", "postgres"], "games\n", { DATABASE_URL: "" })
    assert.strictEqual(noUrl.code, 1)
    assert.strictEqual(noUrl.stdout, "")
    assert.include(noUrl.stderr, "cannot start the postgres boundary: no database for rondel, accounting")
    // It waits for the database (until it answers, by default); here it gives up after a second.
    const unreachable = await sandbox(
      ["--json", "--store", "postgres", "--database-url", "postgres://127.0.0.1:1/nothing"],
      "games\n",
      { MAILROOM_PG_CONNECT_GIVE_UP: "1 second" }
    )
    assert.strictEqual(unreachable.code, 1)
    assert.strictEqual(unreachable.stdout, "")
    assert.include(
      unreachable.stderr,
      "mailroom sandbox: PostgreSQL at 127.0.0.1:1 does not answer (attempt 1: connect ECONNREFUSED 127.0.0.1:1); next attempt in 250ms"
    )
    assert.include(
      unreachable.stderr,
      "cannot start the postgres boundary: PostgreSQL at 127.0.0.1:1 did not answer within 1s: connect ECONNREFUSED"
    )
  })

  it("bad options print the usage and exit 2; --help prints it and exits 0", async () => {
    const bad = await sandbox(["--jsno"])
    assert.strictEqual(bad.code, 2)
    assert.include(bad.stderr, "unknown option --jsno")
    assert.include(bad.stderr, "Usage:")
    const help = await sandbox(["--help"])
    assert.strictEqual(help.code, 0)
    assert.include(help.stdout, "--boundary, --store memory|postgres")
    assert.include(help.stdout, "--store is its old name")
  })

  it("without --json, piped input drives the interactive mode in plain text", async () => {
    const ran = await sandbox([], "new-game Germany Italy\nmove it investor\nquit\n")
    assert.strictEqual(ran.code, 0, ran.stderr)
    assert.notInclude(ran.stdout, "\x1b[")
    assert.include(ran.stdout, "new game game-1")
    assert.include(ran.stdout, "+- Investor 1 ")
    assert.include(
      ran.stdout,
      "[game-1] rondel => ActionDetermined nation=Italy space=Investor action=Investor"
    )
    assert.include(ran.stdout, "bye")
  })
})
