/**
 * `npm run bench [-- --quick] [-- --only=runtime,cluster,durable,relay,flows,history,scale,timers]`: runs every benchmark with
 * its baseline in the same process, prints one JSON line per figure and a final table, and writes
 * bench/results.json (full runs; quick and --only runs write to the temp directory). A full run also refreshes the table
 * in BENCHMARKS.md.
 */
import { execSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Command, Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import * as CommandLine from "../hosts/sandbox/CommandLine.js"
import * as PostgresServer from "../src/pg/testing/PostgresServer.js"
import { runCounterBench } from "./counter.js"
import { runDurableBench } from "./durable.js"
import { runFlowBench } from "./flows.js"
import { runHistoryBench } from "./history.js"
import { runRelayBench } from "./relay.js"
import { type Figure, table } from "./report.js"
import { type BenchResult, runRuntimeBench } from "./runtime.js"
import { runScaleBench } from "./scale.js"
import { runTimerBench } from "./timers.js"

const sections = ["runtime", "cluster", "durable", "relay", "flows", "history", "scale", "timers"] as const
type Section = (typeof sections)[number]

const usage = `Usage: npm run bench -- [--quick] [--only SECTION,...]   (sections: ${sections.join(", ")})`

const flags = await CommandLine.parse(
  Command.make("npm run bench --", {
    quick: Options.boolean("quick").pipe(
      Options.withDescription("A smoke run in under a minute; results go to the temp directory.")
    ),
    only: CommandLine.checked("only", "SECTION,...", (text) => {
      const names = text.split(",").map((name) => name.trim().toLowerCase())
      return names.every((name) => (sections as ReadonlyArray<string>).includes(name))
        ? Either.right(names as ReadonlyArray<Section>)
        : Either.left(`--only takes sections among ${sections.join(", ")}; got ${JSON.stringify(text)}`)
    }).pipe(
      Options.optional,
      Options.withDescription(
        `Run only these sections (comma-separated: ${sections.join(", ")}); results go to the temp directory.`
      )
    )
  }).pipe(
    Command.withDescription(
      "Runs every benchmark next to its baseline from the same run, prints one JSON line per figure and a table, and writes bench/results.json (a full run also refreshes the table in BENCHMARKS.md). Exit status: 0 when done, 1 when a benchmark failed, 2 for bad flags."
    )
  ),
  { name: "mailroom bench", usage },
  process.argv
)
if (flags === undefined) process.exit(process.exitCode ?? 0)
const quick = flags.quick
const only = Option.getOrUndefined(flags.only)
const selected = sections.filter((s) => only === undefined || only.includes(s))
// The package's root: the nearest folder above this file with a package.json (the bench runs compiled, from
// .bench-build/bench/, or through tsx from bench/).
const root = (() => {
  let dir = Path.dirname(fileURLToPath(import.meta.url))
  while (!Fs.existsSync(Path.join(dir, "package.json")) && Path.dirname(dir) !== dir) dir = Path.dirname(dir)
  return dir
})()

const program = Effect.gen(function* () {
  const started = performance.now()
  const loadBefore = Os.loadavg()
  const server = yield* PostgresServer.acquire({ log: (line) => console.error(`[postgres] ${line}`) })
  const figures: Array<Figure> = []
  const timings: Record<string, number> = {}
  const emit = (batch: ReadonlyArray<Figure>) => {
    for (const figure of batch) {
      figures.push(figure)
      console.log(JSON.stringify(figure))
    }
  }
  const options = { quick, adminUrl: server.url }
  for (const section of selected) {
    const t0 = performance.now()
    console.error(`[bench] ${section}…`)
    switch (section) {
      case "runtime":
        emit((yield* runRuntimeBench({ quick })).map(runtimeFigure))
        break
      case "cluster":
        emit(yield* runCounterBench(options))
        break
      case "durable":
        emit(yield* runDurableBench(options))
        break
      case "relay":
        emit(yield* runRelayBench(options))
        break
      case "flows":
        emit(yield* runFlowBench(options))
        break
      case "history":
        emit(yield* runHistoryBench(options))
        break
      case "scale":
        emit(yield* runScaleBench(options))
        break
      case "timers":
        emit(yield* runTimerBench(options))
        break
    }
    timings[section] = Math.round((performance.now() - t0) / 100) / 10
    console.error(`[bench] ${section} done in ${timings[section]} s`)
  }

  const machine = {
    date: new Date().toISOString(),
    quick,
    sections: selected,
    nproc: Os.availableParallelism(),
    cpu: Os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(Os.totalmem() / 2 ** 30),
    node: process.version,
    effect: packageVersion("effect"),
    cluster: packageVersion("@effect/cluster"),
    postgres: `PostgreSQL ${server.version ?? "unknown"} (${server.source})`,
    postgresSettings: yield* postgresSettings(server.url),
    loadAverageBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
    loadAverageAfter: Os.loadavg().map((l) => Math.round(l * 100) / 100),
    commit: git("git rev-parse --short HEAD"),
    seconds: Math.round((performance.now() - started) / 1000),
    sectionSeconds: timings
  }
  const rendered = table(figures)
  console.log(`\n${rendered}\n`)
  console.log(
    `machine: ${machine.nproc} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.postgres}; load ${machine.loadAverageBefore.join(" ")} → ${machine.loadAverageAfter.join(" ")}; ${machine.seconds} s`
  )
  // Only a full run replaces the committed results; quick and partial runs go to the temp directory.
  const out =
    quick || only !== undefined
      ? Path.join(Os.tmpdir(), `mailroom-bench-results.${quick ? "quick" : selected.join("+")}.json`)
      : Path.join(root, "bench", "results.json")
  Fs.writeFileSync(out, `${JSON.stringify({ machine, figures }, null, 2)}\n`)
  console.log(`results: ${out}`)
  if (!quick && only === undefined) updateBenchmarksMd(rendered, machine)
})

Effect.runPromise(Effect.scoped(program)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)

// internal

/** The colleague's runtime figures as figures of this report, with the targets. */
function runtimeFigure(result: BenchResult): Figure {
  const better = result.unit === "bytes/key" ? "lower" : "higher"
  const figure: Figure = { ...result, section: "runtime", better }
  if (result.bench === "runtime.tell")
    return { ...figure, target: "≥ 0.5× raw Queue loop", met: (result.ratio ?? 0) >= 0.5 }
  if (result.bench === "runtime.ask")
    return { ...figure, target: "≥ 150,000/s", met: result.value >= 150_000 }
  return figure
}

function packageVersion(name: string): string {
  try {
    const file = Path.join(root, "node_modules", name, "package.json")
    return (JSON.parse(Fs.readFileSync(file, "utf8")) as { version: string }).version
  } catch {
    return "unknown"
  }
}

function git(command: string): string {
  try {
    return execSync(command, { cwd: root, encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
}

function postgresSettings(url: string) {
  return Effect.promise(async () => {
    const { pool } = await import("./rawPg.js")
    const client = pool(url, 1)
    try {
      const rows = await client.query(
        "SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections', 'wal_level')"
      )
      return Object.fromEntries(rows.rows.map((r) => [String(r.name), String(r.setting)]))
    } finally {
      await client.end()
    }
  })
}

/** Replaces the table between the markers in BENCHMARKS.md with this full run's table and machine line. */
function updateBenchmarksMd(rendered: string, machine: Record<string, unknown>) {
  const file = Path.join(root, "BENCHMARKS.md")
  if (!Fs.existsSync(file)) return
  const text = Fs.readFileSync(file, "utf8")
  const start = "<!-- bench:latest:start -->"
  const end = "<!-- bench:latest:end -->"
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  if (i < 0 || j < i) return
  const m = machine as {
    date: string
    nproc: number
    cpu: string
    memoryGiB: number
    node: string
    postgres: string
    postgresSettings: Record<string, string>
    loadAverageBefore: ReadonlyArray<number>
    loadAverageAfter: ReadonlyArray<number>
    commit: string
    seconds: number
  }
  const settings = Object.entries(m.postgresSettings)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ")
  const block = [
    start,
    "",
    `Run ${m.date} at commit \`${m.commit}\`, ${m.seconds} s. Machine: ${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB RAM,`,
    `Node ${m.node}, ${m.postgres} with ${settings}. Load average (1/5/15 min) ${m.loadAverageBefore.join(" / ")} before,`,
    `${m.loadAverageAfter.join(" / ")} after.`,
    "",
    rendered,
    "",
    end
  ].join("\n")
  Fs.writeFileSync(file, text.slice(0, i) + block + text.slice(j + end.length))
}
