import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { afterAll, assert, describe, it } from "vitest"

// Proves the published package works for a separate project: pack, install, type-check, run a tiny host,
// and that internal modules are not importable.
const root = resolve(import.meta.dirname, "../..")
const work = mkdtempSync(join(tmpdir(), "mailroom-pack-"))
afterAll(() => rmSync(work, { recursive: true, force: true }))

// Asynchronous on purpose: a synchronous child process blocks the test worker's event loop for as long as npm and
// tsc run (minutes on a loaded machine), and vitest then fails the run with "Timeout calling onTaskUpdate".
const run = async (command: string, args: ReadonlyArray<string>, cwd: string): Promise<string> => {
  const { stdout } = await promisify(execFile)(command, [...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_loglevel: "error" }
  })
  return stdout
}

const consumer = `import { Effect, Schema } from "effect"
import { ActorSystem, Application, DirectCommit, Effects, HostDefinition, MessageIds, Bus } from "mailroom"
import * as Testing from "mailroom/testing"
import { PgBoundary } from "mailroom/pg"
import { Layer } from "effect"

const Add = Schema.TaggedStruct("Add", { counter: Schema.String, amount: Schema.Int })
const Added = Schema.TaggedStruct("Added", { counter: Schema.String, total: Schema.Int })
const State = Schema.Struct({ total: Schema.Int })

const counter = HostDefinition.fromSchemas({
  name: "counter",
  state: State,
  inbound: Add,
  events: Added,
  keyOf: (m) => m.counter,
  decide: (state, m) => {
    const total = (state?.total ?? 0) + m.amount
    return Effects.make({ state: { total }, events: [Added.make({ counter: m.counter, total })] })
  }
})

// The README's durable variant, type-checked here (not run: no database in this test).
export const layerPostgres = Application.layer([counter]).pipe(
  Layer.provideMerge(PgBoundary.layerConfig([counter])),
  Layer.provideMerge(Layer.mergeAll(ActorSystem.layerConfig, MessageIds.layer, Bus.layer))
)
// Fault injection is a test tool: it comes from mailroom/testing.
void Testing.Faults.layer

const program = Effect.gen(function* () {
  const app = yield* Application.Application
  const host = app.host(counter)
  yield* host.execute({ _tag: "Add", counter: "c1", amount: 2 })
  yield* host.execute({ _tag: "Add", counter: "c1", amount: 3 })
  yield* app.settle()
  const state = yield* host.state("c1")
  console.log("total=" + state?.total)
})

Effect.runPromise(
  program.pipe(
    Effect.provide(Application.layer([counter])),
    Effect.provide(DirectCommit.layer),
    Effect.provide(Bus.layer),
    Effect.provide(ActorSystem.layer),
    Effect.provide(MessageIds.layer),
    Effect.scoped
  )
)
`

describe("the packed package", () => {
  it("installs into a separate project, type-checks and runs a tiny host", { timeout: 600_000 }, async () => {
    await run("npm", ["pack", "--pack-destination", work, "--silent"], root)
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"))
    assert.isDefined(tarball)
    const project = join(work, "consumer")
    await run("mkdir", ["-p", project], work)
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "consumer",
        private: true,
        type: "module",
        dependencies: { mailroom: `file:../${tarball}` }
      })
    )
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: true,
          types: [],
          lib: ["ES2022", "DOM"],
          outDir: "out"
        },
        include: ["index.ts"]
      })
    )
    writeFileSync(join(project, "index.ts"), consumer)
    await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"], project)
    await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "."], project)
    const output = await run(process.execPath, ["out/index.js"], project)
    assert.include(output, "total=5")
    // Internal modules stay internal.
    let refused = ""
    try {
      await run(
        process.execPath,
        ["--input-type=module", "-e", 'await import("mailroom/dist/commit/Host.js")'],
        project
      )
    } catch (error) {
      refused = String((error as { stderr?: string }).stderr)
    }
    assert.include(refused, "ERR_PACKAGE_PATH_NOT_EXPORTED")
  })
})
