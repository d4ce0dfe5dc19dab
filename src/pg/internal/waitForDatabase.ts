import * as net from "node:net"
import { Duration, Effect, ExecutionStrategy, Exit, Schedule, Scope } from "effect"
import * as ScheduleDecision from "effect/ScheduleDecision"

/** How long and how often to try again while the database does not answer at start. */
export interface Retry {
  /** The wait after the first failed attempt; each next wait doubles. */
  readonly initialDelay: Duration.Duration
  /** The longest wait between two attempts. */
  readonly maxDelay: Duration.Duration
  /** Stop trying this long after the first attempt (then the last failure is the answer); `undefined`: never. */
  readonly giveUpAfter: Duration.Duration | undefined
  /** Told before each wait (default: a warning in the log). */
  readonly onWait: (wait: Waiting) => Effect.Effect<void>
}

/** One wait for the database: where it was looked for, which attempt failed and why, and when the next one is. */
export interface Waiting {
  readonly address: string
  readonly attempt: number
  readonly error: string
  readonly nextIn: Duration.Duration
  /** The whole line, e.g. `PostgreSQL at 127.0.0.1:5432 does not answer (attempt 2: connect ECONNREFUSED ...); next attempt in 500 millis`. */
  readonly message: string
}

/** The waits as a Schedule: doubling from `initialDelay`, capped at `maxDelay`, over after `giveUpAfter`. */
export const schedule = (retry: Pick<Retry, "initialDelay" | "maxDelay" | "giveUpAfter">) => {
  const capped = Schedule.exponential(retry.initialDelay).pipe(
    Schedule.union(Schedule.spaced(retry.maxDelay))
  )
  return retry.giveUpAfter === undefined ? capped : Schedule.upTo(capped, retry.giveUpAfter)
}

/**
 * Connects with `attempt` (run in a scope of its own, closed when it fails), trying again on the schedule while the
 * failure is one that passes when the server comes up (refused, reset, unreachable, starting up, too many clients).
 * Before each attempt a plain TCP connect checks that something listens, so an interruption (Ctrl-C) never waits
 * for a connect the client would not let go of. Other failures (a wrong password, no such database) answer at once.
 */
export const connect = <A, E>(
  url: string,
  retry: Retry,
  attempt: (scope: Scope.Scope) => Effect.Effect<A, E>
): Effect.Effect<A, E | ProbeFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const parent = yield* Effect.scope
    const target = addressOf(url)
    let attempts = 0
    const once = Effect.gen(function* () {
      attempts++
      if (target.tcp !== undefined) yield* probe(target.tcp.host, target.tcp.port)
      const scope = yield* Scope.fork(parent, ExecutionStrategy.sequential)
      return yield* attempt(scope).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))))
    })
    const waits = schedule(retry).pipe(
      Schedule.intersect(Schedule.identity<E | ProbeFailed>()),
      Schedule.whileInput((error: E | ProbeFailed) => passesLater(error)),
      Schedule.onDecision(([[exponential], error], decision) => {
        if (ScheduleDecision.isDone(decision)) return Effect.void
        const nextIn = Duration.min(exponential, retry.maxDelay)
        const reason = describe(error)
        return retry.onWait({
          address: target.address,
          attempt: attempts,
          error: reason,
          nextIn,
          message: `PostgreSQL at ${target.address} does not answer (attempt ${attempts}: ${reason}); next attempt in ${Duration.format(nextIn)}${
            retry.giveUpAfter === undefined
              ? ", waiting until it does"
              : `, giving up after ${Duration.format(retry.giveUpAfter)}`
          }`
        })
      })
    )
    return yield* Effect.retry(once, waits)
  })

/** A TCP connection to the database's host and port failed: nothing listens there (yet), or it is unreachable. */
export class ProbeFailed extends Error {
  readonly _tag = "ProbeFailed"
}

/** Whether a connection failure may pass on its own: the network or the server starting, not the settings. */
export const passesLater = (error: unknown): boolean => {
  if (error instanceof ProbeFailed) return true
  const cause = (error as { readonly cause?: unknown } | null)?.cause ?? error
  if (cause instanceof AggregateError) return true
  const fields = cause as { readonly code?: unknown; readonly severity?: unknown; readonly message?: unknown }
  if (typeof fields.severity === "string")
    return (
      typeof fields.code === "string" &&
      retryableStates.some((state) => String(fields.code).startsWith(state))
    )
  if (typeof fields.code === "string" && /^E[A-Z]+$/.test(fields.code)) return true
  return typeof fields.message === "string" && /terminated|timed? ?out|ECONN|socket/i.test(fields.message)
}

/** The text of a connection failure, with the cause the client wraps (`connect ECONNREFUSED 127.0.0.1:5432`). */
export const describe = (error: unknown): string => {
  const outer = error instanceof Error ? error.message : String(error)
  const cause = (error as { readonly cause?: unknown } | null)?.cause
  const inner =
    cause instanceof AggregateError && cause.errors.length > 0
      ? [...new Set(cause.errors.map((e) => (e instanceof Error ? e.message : String(e))))].join("; ")
      : cause instanceof Error
        ? cause.message
        : ""
  return inner === "" || outer.includes(inner) ? outer : `${outer}: ${inner}`
}

/** Where a connection URL points: `host:port` for TCP (probed), or the socket directory. */
export const addressOf = (
  url: string
): { readonly address: string; readonly tcp?: { readonly host: string; readonly port: number } } => {
  try {
    const parsed = new URL(url)
    const socket = parsed.searchParams.get("host")
    if (socket?.startsWith("/")) return { address: socket }
    const host = (parsed.hostname === "" ? "localhost" : parsed.hostname).replace(/^\[(.*)\]$/, "$1")
    const port = parsed.port === "" ? 5432 : Number(parsed.port)
    // Several hosts (`h1,h2`) are the client's business: no probe, it tries them itself.
    if (host.includes(",")) return { address: parsed.host }
    return { address: `${host.includes(":") ? `[${host}]` : host}:${port}`, tcp: { host, port } }
  } catch {
    return { address: "(unparseable URL)" }
  }
}

// internal

// connection_exception, cannot_connect_now (starting up, shutting down), too_many_connections, admin_shutdown,
// crash_shutdown
const retryableStates = ["08", "57P03", "53300", "57P01", "57P02"]

/** Connects to host:port and disconnects; fails with the socket's error (or after 10 seconds without an answer). */
const probe = (host: string, port: number) =>
  Effect.async<void, ProbeFailed>((resume) => {
    const socket = net.connect({ host, port })
    socket.setTimeout(10_000)
    const done = (result: Effect.Effect<void, ProbeFailed>) => {
      socket.removeAllListeners()
      socket.on("error", () => {})
      socket.destroy()
      resume(result)
    }
    socket.once("connect", () => done(Effect.void))
    socket.once("error", (error) => done(Effect.fail(new ProbeFailed(error.message))))
    socket.once("timeout", () =>
      done(Effect.fail(new ProbeFailed(`no answer from ${host}:${port} within 10 seconds`)))
    )
    return Effect.sync(() => {
      socket.removeAllListeners()
      socket.on("error", () => {})
      socket.destroy()
    })
  })
