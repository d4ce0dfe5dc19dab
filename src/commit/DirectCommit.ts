import { Effect, Layer } from "effect"
import type { Envelope } from "../runtime/Envelope.js"
import * as Bus from "./Bus.js"
import {
  type AuditEntry,
  CommitBoundary,
  type CommitReport,
  type CommitRequest,
  type DeliveryFailure,
  differenceOf,
  type MessageIdReused,
  messageIdReused,
  PersistenceError,
  MessageNotAccepted,
  VersionConflict
} from "./CommitBoundary.js"
import * as Faults from "./Faults.js"
import * as MemoryTimers from "./MemoryTimers.js"
import type { Timers } from "./Timers.js"

interface Row {
  readonly state: unknown
  readonly version: number
}

/** Options of the in-memory boundary. */
export interface DirectCommitOptions {
  /**
   * Message ids from outside remembered per host (default 10,000), to refuse one sent again with another message
   * (`MessageIdReused`); the oldest are forgotten first. The memory boundary does not drop repeats: a message sent
   * again under its id is handled again, and the domain's idempotency makes it change nothing.
   */
  readonly rememberedIds?: number
  /**
   * Audit entries kept per host (default 100,000); the oldest are dropped first. The memory boundary is not durable
   * and its audit log lives on the heap: without a bound, an application that runs for long grows without end (a host
   * handling 1,000 messages a second would keep 86 million entries a day). A replay of a key whose first entries were
   * dropped says so instead of comparing (`Replay.compare`).
   */
  readonly auditLimit?: number
}

/**
 * The in-memory direct commit: save, then publish events, then dispatch commands, in process.
 * Not durable by design. A save failure sends nothing; a failed delivery after the save is reported
 * (as an observation and in the commit report) while the state stays moved.
 */
export const makeWith = (options: DirectCommitOptions = {}) =>
  Effect.gen(function* () {
    const bus = yield* Bus.Bus
    const faults = yield* Faults.installed
    // Provided by `layer`; a boundary built without them refuses decisions that schedule or cancel.
    const timers = yield* Effect.serviceOption(MemoryTimers.MemoryTimers)
    const states = new Map<string, Map<string, Row>>()
    const audits = new Map<string, Array<AuditEntry>>()
    const rememberedIds = options.rememberedIds ?? 10_000
    const auditLimit = options.auditLimit ?? 100_000
    // Entries ever written per host: an entry's `seq` keeps counting when the oldest are dropped.
    const written = new Map<string, number>()
    // Per host: message id → the message first accepted under it (insertion order = age).
    const accepted = new Map<string, Map<string, Envelope>>()

    const table = (host: string) => {
      let rows = states.get(host)
      if (rows === undefined) {
        rows = new Map()
        states.set(host, rows)
      }
      return rows
    }

    const deliver = (
      step: "publish" | "dispatch",
      envelope: Envelope,
      failures: Array<DeliveryFailure>,
      steps: Array<Effect.Effect<void>>
    ) => {
      const consumers = bus.consumersOf(envelope.type)
      if (consumers.length === 0) {
        if (step === "dispatch") {
          failures.push({ step, to: "(none)", envelope, error: `no host consumes command ${envelope.type}` })
        }
        return
      }
      for (const to of consumers) {
        const check = faults === undefined ? undefined : faults.check(step, to)
        const tell = bus.tell(to, envelope)
        steps.push(
          Effect.catchAll(check === undefined ? tell : Effect.zipRight(check, tell), (error) =>
            Effect.sync(() => {
              failures.push({ step, to, envelope, error: describe(error) })
            })
          )
        )
      }
    }

    // The hot path of every in-memory commit: plain code, with an effect only for what must run as one.
    const save = (
      request: CommitRequest,
      now: number
    ): Effect.Effect<CommitReport, VersionConflict | PersistenceError> => {
      const host = request.host.name
      const schedules = request.scheduled !== undefined || request.cancelled !== undefined
      if (schedules && timers._tag === "None") {
        return Effect.fail(
          new PersistenceError({
            operation: "save",
            message:
              "this memory boundary has no timers (build it with DirectCommit.layer): nothing was saved"
          })
        )
      }
      const rows = table(host)
      const current = rows.get(request.key)?.version ?? 0
      if (current !== request.expectedVersion) {
        return Effect.fail(new VersionConflict({ host, key: request.key, expected: request.expectedVersion }))
      }
      const changed = request.state !== undefined
      const version = changed ? current + 1 : current
      if (changed) rows.set(request.key, { state: request.state, version })
      let log = audits.get(host)
      if (log === undefined) {
        log = []
        audits.set(host, log)
      }
      const seq = (written.get(host) ?? 0) + 1
      written.set(host, seq)
      // Dropped in chunks (a tenth of the limit at a time), so the copy costs little per entry.
      if (log.length >= auditLimit + Math.ceil(auditLimit / 10)) log.splice(0, log.length - auditLimit + 1)
      log.push({
        seq,
        host,
        key: request.key,
        message: request.consumed,
        events: request.events,
        commands: request.commands,
        ...(request.scheduled === undefined ? {} : { scheduled: request.scheduled }),
        ...(request.cancelled === undefined ? {} : { cancelled: request.cancelled }),
        stateChanged: changed,
        version,
        committedAt: now
      })
      const failures: Array<DeliveryFailure> = []
      const report: CommitReport = { version, duplicate: false, failures }
      const steps: Array<Effect.Effect<void>> = []
      if (bus.observed()) {
        steps.push(
          bus.broadcast({
            _tag: "Committed",
            host,
            key: request.key,
            consumed: request.consumed,
            events: request.events,
            commands: request.commands,
            ...(request.scheduled === undefined ? {} : { scheduled: request.scheduled }),
            ...(request.cancelled === undefined ? {} : { cancelled: request.cancelled }),
            stateChanged: changed,
            duplicate: false
          })
        )
      }
      // Timers start once the state is saved, as messages are sent: cancelled first, so a decision may replace one.
      if (schedules && timers._tag === "Some") {
        if (request.cancelled !== undefined) steps.push(timers.value.cancel(request.cancelled))
        if (request.scheduled !== undefined) steps.push(timers.value.schedule(host, request.scheduled))
      }
      for (const event of request.events) deliver("publish", event, failures, steps)
      for (const command of request.commands) deliver("dispatch", command, failures, steps)
      if (steps.length === 0 && failures.length === 0) return Effect.succeed(report)
      return Effect.as(
        Effect.zipRight(Effect.all(steps, { discard: true }), reportFailures(host, failures)),
        report
      )
    }

    // Failures are collected while the deliveries run, so they are reported once all have run.
    const reportFailures = (host: string, failures: ReadonlyArray<DeliveryFailure>) =>
      Effect.suspend(() =>
        Effect.forEach(
          failures,
          (failure) =>
            Effect.zipRight(
              bus.broadcast({ _tag: "DeliveryFailed", ...failure }),
              Effect.logWarning(
                `${failure.step} of ${failure.envelope.type} ${failure.envelope.messageId} to ${failure.to} failed after ${host} saved: ${failure.error}`
              )
            ),
          { discard: true }
        )
      )

    return CommitBoundary.of({
      kind: "memory",
      accept: (host, envelope) =>
        Effect.suspend((): Effect.Effect<void, MessageNotAccepted | MessageIdReused> => {
          let seen = accepted.get(host)
          if (seen === undefined) {
            seen = new Map()
            accepted.set(host, seen)
          }
          const first = seen.get(envelope.messageId)
          if (first !== undefined) {
            const difference = differenceOf(first, envelope)
            if (difference !== undefined)
              return Effect.fail(messageIdReused(host, envelope.messageId, difference))
          } else {
            seen.set(envelope.messageId, envelope)
            if (seen.size > rememberedIds) seen.delete(seen.keys().next().value!)
          }
          const remembered = seen
          return Effect.mapError(bus.tell(host, envelope), (error) => {
            // Refused, so not received: the id stays free (unless an earlier accepted message holds it).
            if (first === undefined) remembered.delete(envelope.messageId)
            return new MessageNotAccepted({ host, messageId: envelope.messageId, reason: error.reason })
          })
        }),
      load: (host, key) => Effect.sync(() => states.get(host.name)?.get(key)),
      read: (host, key) => Effect.sync(() => states.get(host.name)?.get(key)),
      keys: (host) => Effect.sync(() => [...(states.get(host.name)?.keys() ?? [])]),
      audit: (host, key) =>
        Effect.sync(() => {
          const log = audits.get(host) ?? []
          return key === undefined ? [...log] : log.filter((entry) => entry.key === key)
        }),
      backlog: Effect.succeed(0),
      commit: (request) =>
        faults === undefined
          ? Effect.clockWith((clock) => save(request, clock.unsafeCurrentTimeMillis()))
          : Effect.zipRight(
              // An injected save failure fails this commit alone, before anything is saved, as a real one would.
              Effect.mapError(
                Effect.suspend(() => faults.check("save", request.host.name)),
                (error) => new PersistenceError({ operation: "save", message: error.message })
              ),
              Effect.clockWith((clock) => save(request, clock.unsafeCurrentTimeMillis()))
            )
    })
  })

/** The in-memory direct commit with default options (see `makeWith`). */
export const make = makeWith()

/** The in-memory direct-commit boundary with its timers (needs the Bus; consults `Faults` when a test installs it). */
export const layer: Layer.Layer<CommitBoundary | MemoryTimers.MemoryTimers | Timers, never, Bus.Bus> =
  Layer.effect(CommitBoundary, make).pipe(Layer.provideMerge(MemoryTimers.layer))

/** The in-memory boundary with its own bus. */
export const layerMemory: Layer.Layer<CommitBoundary | MemoryTimers.MemoryTimers | Timers | Bus.Bus> =
  layer.pipe(Layer.provideMerge(Bus.layer))

// internal

const describe = (error: unknown): string =>
  typeof error === "object" && error !== null && "reason" in error
    ? String((error as { reason: unknown }).reason)
    : typeof error === "object" && error !== null && "message" in error
      ? String((error as { message: unknown }).message)
      : String(error)
