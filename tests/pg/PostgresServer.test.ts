import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as PgClient from "@effect/sql-pg/PgClient"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { inject } from "vitest"
import * as PostgresServer from "../../src/pg/testing/PostgresServer.js"
import * as Progress from "../../src/testing/internal/progress.js"
import { freshDatabase, runDatabaseUrl } from "./support.js"

const client = (url: string) =>
  Effect.map(Layer.build(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 })), (context) =>
    Context.get(context, PgClient.PgClient)
  )

/** True while the process exists and is not a zombie waiting to be reaped. */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false
  }
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat[stat.lastIndexOf(")") + 2] !== "Z"
  } catch {
    return true
  }
}

/**
 * Succeeds once every step holds, in any order. It fails when no step was reached for a minute (progress is the
 * number of steps reached), not after a fixed time: a loaded machine stops processes more slowly.
 */
const eventually = (steps: Record<string, () => boolean>) => {
  const pending = () => Object.entries(steps).filter(([, reached]) => !reached())
  const count = Object.keys(steps).length
  return Progress.until(
    Object.keys(steps).join(", "),
    Effect.sync(() => {
      const left = pending().length
      return { done: left === 0, progress: count - left }
    }),
    { interval: "100 millis" }
  ).pipe(
    Effect.catchTag("Stalled", (stalled) =>
      Effect.sync(() =>
        assert.fail(
          `${stalled.message}; not reached: ${pending()
            .map(([what]) => what)
            .join(", ")}`
        )
      )
    )
  )
}

const uidOf = (pid: number): number | undefined => {
  const line = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Uid:"))
  return line === undefined ? undefined : Number(line.split(/\s+/)[1])
}

const alreadyEmbedded = inject("pgSource") === "embedded"

describe("PostgresServer", () => {
  it.scopedLive("the run database answers a query through @effect/sql-pg", () =>
    Effect.gen(function* () {
      const sql = yield* client(runDatabaseUrl())
      const rows = yield* sql<{ one: number }>`SELECT 1 AS one`
      assert.deepStrictEqual(rows, [{ one: 1 }])
    })
  )

  it("uses the server that MAILROOM_TEST_PG and DATABASE_URL ask for", () => {
    const source = inject("pgSource")
    const mode = process.env.MAILROOM_TEST_PG
    if (mode === "embedded") assert.strictEqual(source, "embedded")
    else if (process.env.DATABASE_URL) assert.strictEqual(source, "DATABASE_URL")
    else if (mode === "external") assert.strictEqual(source, "local")
    else assert.include(["local", "embedded"], source)
  })

  it.scopedLive("createDatabase gives isolated databases and drops them with their scope", () =>
    Effect.gen(function* () {
      const names = yield* Effect.scoped(
        Effect.gen(function* () {
          const a = yield* freshDatabase()
          const b = yield* freshDatabase()
          assert.notStrictEqual(a.name, b.name)
          const sqlA = yield* client(a.url)
          const sqlB = yield* client(b.url)
          yield* sqlA`CREATE TABLE isolation_probe (id int)`
          yield* sqlA`INSERT INTO isolation_probe VALUES (1)`
          const present = `SELECT to_regclass('isolation_probe') IS NOT NULL AS present`
          assert.deepStrictEqual(yield* sqlA.unsafe(present), [{ present: true }])
          assert.deepStrictEqual(yield* sqlB.unsafe(present), [{ present: false }])
          return [a.name, b.name]
        })
      )
      const run = yield* client(runDatabaseUrl())
      const left = yield* run`SELECT datname FROM pg_database WHERE ${run.in("datname", names)}`
      assert.deepStrictEqual(left, [])
    })
  )

  it.live("reports every source it tried, with the password masked", () =>
    Effect.gen(function* () {
      const error = yield* PostgresServer.acquire({
        mode: "external",
        databaseUrl: "postgres://someone:s3cret@127.0.0.1:1/nothing"
      }).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error._tag, "PostgresUnavailable")
      assert.deepStrictEqual(
        error.attempts.map((a) => a.source),
        ["DATABASE_URL"]
      )
      assert.include(error.message, "someone:***@127.0.0.1:1")
      assert.notInclude(error.message, "s3cret")
    })
  )

  // When the run itself uses an embedded server, globalSetup has just exercised this path.
  it.scopedLive.skipIf(alreadyEmbedded)(
    "starts an embedded server and removes it when the scope closes",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
        const server = yield* PostgresServer.acquire({ mode: "embedded" }).pipe(Scope.extend(scope))
        const embedded = server.embedded
        assert.strictEqual(server.source, "embedded")
        assert.isDefined(embedded)
        if (embedded === undefined) return
        assert.isTrue(isRunning(embedded.pid))
        assert.isTrue(Fs.existsSync(Path.join(embedded.directory, "data", "PG_VERSION")))
        // postgres refuses to run as root, so as root it must run as someone else
        if (process.getuid?.() === 0) assert.notStrictEqual(uidOf(embedded.pid), 0)
        const sql = yield* client(server.url).pipe(Scope.extend(scope))
        const rows = yield* sql`SELECT current_user AS who, current_setting('fsync') AS fsync`
        assert.deepStrictEqual(rows, [{ who: "postgres", fsync: "off" }])

        yield* Scope.close(scope, Exit.void)
        assert.isFalse(isRunning(embedded.pid), "postgres still running")
        assert.isFalse(Fs.existsSync(embedded.directory), "temp directory still there")
        if (embedded.watchdogPid !== undefined) {
          const watchdog = embedded.watchdogPid
          // The scope's release kills the watchdog.
          yield* eventually({ "watchdog gone": () => !isRunning(watchdog) })
        }
      })
  )

  it.scopedLive.skipIf(alreadyEmbedded)(
    "an embedded server does not outlive a process killed with SIGKILL",
    () =>
      Effect.gen(function* () {
        const holder = yield* Effect.acquireRelease(
          Effect.sync(() =>
            spawn(
              process.execPath,
              [
                "--import",
                "tsx",
                fileURLToPath(new URL("./fixtures/holdEmbeddedServer.ts", import.meta.url))
              ],
              {
                stdio: ["ignore", "pipe", "inherit"]
              }
            )
          ),
          (child) => Effect.sync(() => child.kill("SIGKILL"))
        )
        const line = yield* Effect.async<string>((resume) => {
          let out = ""
          holder.stdout.on("data", (chunk) => {
            out += chunk
            if (out.includes("\n")) resume(Effect.succeed(out.split("\n")[0]!))
          })
          holder.on("exit", (code) => resume(Effect.succeed(`exited ${code}: ${out}`)))
        })
        if (!line.startsWith("{")) assert.fail(`the fixture did not start a server: ${line}`)
        const embedded = JSON.parse(line) as { pid: number; directory: string; watchdogPid: number }
        assert.isTrue(isRunning(embedded.pid))
        assert.isTrue(isRunning(embedded.watchdogPid))
        holder.kill("SIGKILL")
        yield* eventually({
          "postgres stopped": () => !isRunning(embedded.pid),
          "temp directory deleted": () => !Fs.existsSync(embedded.directory),
          "watchdog exited": () => !isRunning(embedded.watchdogPid)
        })
      })
  )
})
