import { Data, Deferred, Duration, Effect, Fiber, Option, Schedule } from "effect"
import * as Application from "../../src/commit/Application.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Faults from "../../src/commit/Faults.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import * as DeliveryInspector from "./DeliveryInspector.js"
import type * as Boundary from "./Boundary.js"

/** How a drain at the end of a session ended. */
export type Outcome = "drained" | "gave up" | "left"

/** The session ended before everything drained (the drain gave up, or the user left): exit status 3. */
export class NotDrained extends Data.TaggedError("NotDrained")<{ readonly outcome: Outcome }> {}

/** The exit status of a session that ended before everything drained. */
export const notDrainedExitStatus = 3

/** Options of `drain`. */
export interface DrainOptions {
  /** Longest wait before giving up. */
  readonly timeout: Duration.DurationInput
  /** When `progress` is first told what is still pending (a quick drain says nothing). */
  readonly firstAfter: Duration.DurationInput
  /** How often `progress` is told again after that. */
  readonly every: Duration.DurationInput
  /** Told what is pending after `firstAfter`, then every `every` while the drain lasts. */
  readonly progress: (pending: string, waited: Duration.Duration) => Effect.Effect<void>
  /** Completes when the user asks to leave at once. */
  readonly leave: Deferred.Deferred<void>
}

/**
 * What still keeps the application from being settled, in words: messages in mailboxes, committed messages not
 * yet delivered (per host and box in Postgres mode), and the armed faults that hold them. Empty when nothing is.
 */
export const pending: Effect.Effect<string, never, Boundary.Services> = Effect.gen(function* () {
  const system = yield* ActorSystem.ActorSystem
  const boundary = yield* CommitBoundary
  const faults = yield* Faults.Faults
  const inspector = yield* Effect.serviceOption(DeliveryInspector.DeliveryInspector)
  const parts: Array<string> = []
  const inMailboxes = yield* system.pending
  if (inMailboxes > 0)
    parts.push(`${count(inMailboxes, "message")} queued, in flight or waiting for a restart`)
  const backlog = yield* Effect.orElseSucceed(boundary.backlog, () => 0)
  if (backlog > 0) {
    const boxes = Option.isSome(inspector) ? yield* Effect.orElseSucceed(inspector.value.boxes, () => []) : []
    const where = boxes.flatMap((b) => [
      ...(b.outboxPending > 0 ? [`${b.host} outbox ${b.outboxPending}`] : []),
      ...(b.inboxPending > 0 ? [`${b.host} inbox ${b.inboxPending}`] : [])
    ])
    parts.push(
      `${count(backlog, "committed message")} not yet delivered${where.length === 0 ? "" : ` (${where.join(", ")})`}`
    )
  }
  if (parts.length > 0) {
    const armed = yield* faults.armed
    const relay = armed.filter((a) => a.point === "relay").reduce((n, a) => n + a.remaining, 0)
    if (relay > 0) parts.push(`fault relay x${relay} armed (the outboxes wait until it runs out)`)
    const others = armed.filter((a) => a.point !== "relay")
    if (others.length > 0) {
      parts.push(
        `armed: ${others.map((a) => `${a.point === "crash" ? `crash-${a.host}` : a.point} x${a.remaining}`).join(", ")}`
      )
    }
  }
  return parts.join("; ")
})

/**
 * Waits until the application has settled, telling `progress` what is still pending as it goes; gives up after
 * `timeout`, or at once when `leave` completes.
 */
export const drain = (options: DrainOptions): Effect.Effect<Outcome, never, Boundary.Services> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const started = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    const report = Effect.flatMap(pending, (text) =>
      Effect.flatMap(
        Effect.clockWith((clock) => clock.currentTimeMillis),
        (now) => (text === "" ? Effect.void : options.progress(text, Duration.millis(now - started)))
      )
    )
    const reporter = yield* Effect.fork(
      Effect.repeat(report, Schedule.spaced(options.every)).pipe(Effect.delay(options.firstAfter))
    )
    const settled = app.settle({ timeout: options.timeout }).pipe(
      Effect.as<Outcome>("drained"),
      Effect.orElseSucceed((): Outcome => "gave up")
    )
    const outcome = yield* Effect.raceFirst(
      settled,
      Effect.as(Deferred.await(options.leave), "left" as const)
    )
    yield* Fiber.interrupt(reporter)
    return outcome
  })

// internal

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`
