import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { afterAll, assert, describe, it } from "vitest"
import * as ReadmeBlocks from "../support/readmeBlocks.js"

// Proves the published package works for a separate project, as a new user meets it: pack, install with its peers
// (warning about nothing), compile every TypeScript block of the README with declarations emitted, run the README's
// program and its @effect/vitest test, and find internal modules out of reach.
const root = resolve(import.meta.dirname, "../..")
const work = mkdtempSync(join(tmpdir(), "mailroom-pack-"))
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000)

const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  readonly peerDependencies: Record<string, string>
  readonly devDependencies: Record<string, string>
}
/** `name@range` as this repository tests it: peers at their peer range, tools at their devDependency range. */
const at = (name: string) => `${name}@${manifest.peerDependencies[name] ?? manifest.devDependencies[name]}`

// Asynchronous on purpose: a synchronous child process blocks the test worker's event loop for as long as npm and
// tsc run (minutes on a loaded machine), and vitest then fails the run with "Timeout calling onTaskUpdate".
const run = async (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  env: Record<string, string> = {}
): Promise<{ readonly stdout: string; readonly stderr: string }> => {
  try {
    return await promisify(execFile)(command, [...args], {
      cwd,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false", ...env }
    })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`)
  }
}
const npmInstall = (project: string, packages: ReadonlyArray<string>, flags: ReadonlyArray<string> = []) =>
  run("npm", ["install", "--prefer-offline", ...flags, ...packages], project)

/** Every value the entry points export, read back through a local module so types are named by package paths. */
const surfaceOf = (exports: Record<string, Record<string, ReadonlyArray<string>>>) => {
  const entries = Object.keys(exports)
  const alias = (entry: string) => `E${entries.indexOf(entry)}`
  const source = [
    ...entries.map((entry) => `import * as ${alias(entry)} from "${entry}"`),
    `export const entries = { ${entries.map(alias).join(", ")} }`
  ].join("\n")
  const probes = entries.flatMap((entry) =>
    Object.entries(exports[entry]!).flatMap(([namespace, names]) =>
      names.map(
        (name) =>
          `export const ${alias(entry)}_${namespace}_${name} = entries.${alias(entry)}.${namespace}.${name}`
      )
    )
  )
  return {
    source: `${source}\n`,
    probes: `import { entries } from "./surface-source.js"\n${probes.join("\n")}\n`
  }
}

describe("the packed package", () => {
  it("installs without warnings, compiles the README with declarations, runs its program and its tests", {
    timeout: 900_000
  }, async () => {
    await run("npm", ["pack", "--pack-destination", work, "--silent"], root)
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"))
    assert.isDefined(tarball)
    const project = join(work, "consumer")
    mkdirSync(project)
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module", scripts: { test: "vitest run" } })
    )

    // A project in memory needs mailroom and effect, nothing else: no install script, no warning, no peer left out.
    const installed = await npmInstall(project, [join(work, tarball!), at("effect")])
    const said = `${installed.stdout}\n${installed.stderr}`
    assert.notMatch(said, /warn|ERESOLVE|peer/i, said)
    const inMemory = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'await import("mailroom"); await import("mailroom/testing"); console.log("ok")'
      ],
      project
    )
    assert.strictEqual(inMemory.stdout.trim(), "ok")

    // PostgreSQL, tests and telemetry, at the versions the README states (their own install scripts are theirs).
    await npmInstall(
      project,
      [
        ...["@effect/platform", "@effect/experimental", "@effect/sql", "@effect/sql-pg"].map(at),
        ...["vitest", "@effect/vitest", "@effect/opentelemetry", "@opentelemetry/sdk-trace-base"].map(at)
      ],
      ["--ignore-scripts"]
    )

    // Every TypeScript block of the README, as a file of its own, compiled with declarations.
    const blocks = ReadmeBlocks.read(readFileSync(join(root, "README.md"), "utf8"))
    for (const block of blocks) writeFileSync(join(project, block.file), block.code)
    const listed = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const out = {}
           for (const entry of ["mailroom", "mailroom/pg", "mailroom/testing", "mailroom/pg/testing", "mailroom/console"]) {
             const module = await import(entry)
             out[entry] = Object.fromEntries(Object.entries(module).map(([k, v]) => [k, Object.keys(v)]))
           }
           console.log(JSON.stringify(out))`
      ],
      project
    )
    const surface = surfaceOf(JSON.parse(listed.stdout))
    writeFileSync(join(project, "surface-source.ts"), surface.source)
    writeFileSync(join(project, "surface.ts"), surface.probes)
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
          declaration: true,
          composite: false,
          isolatedDeclarations: false,
          types: [],
          lib: ["ES2022", "DOM"],
          outDir: "dist"
        },
        include: ["*.ts"]
      })
    )
    await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "."], project)
    assert.include(readFileSync(join(project, "dist/Counter.d.ts"), "utf8"), "export declare const layer")

    // The README's program, and its test file run by the consumer's own vitest.
    assert.strictEqual((await run(process.execPath, ["dist/main.js"], project)).stdout.trim(), "apples = 3")
    const tested = await run("npx", ["vitest", "run"], project, { NO_COLOR: "1", FORCE_COLOR: "0" })
    assert.match(tested.stdout, /Tests\s+\d+ passed/)
    assert.include(tested.stdout, "testing-your-hosts.test.ts")

    // Internal modules stay internal.
    const refused = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `for (const path of ["mailroom/dist/commit/Host.js", "mailroom/commit/internal/handover"]) {
             try { await import(path); console.log("imported " + path) } catch (error) { console.log(error.code) }
           }`
      ],
      project
    )
    assert.deepStrictEqual(refused.stdout.trim().split("\n"), [
      "ERR_PACKAGE_PATH_NOT_EXPORTED",
      "ERR_PACKAGE_PATH_NOT_EXPORTED"
    ])
  })
})
