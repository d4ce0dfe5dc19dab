import { Clock, Effect, Layer } from "effect"
import type { Envelope } from "../runtime/Envelope.js"
import * as Bus from "./Bus.js"
import {
  type AuditEntry,
  CommitBoundary,
  type CommitReport,
  type DeliveryFailure,
  differenceOf,
  type MessageIdReused,
  messageIdReused,
  PersistenceError,
  SubmitRejected,
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
}

/**
 * The in-memory direct commit: save, then publish events, then dispatch commands, in process.
 * Not durable by design. A save failure sends nothing; a failed delivery after the save is reported
 * (as an observation and in the commit report) while the state stays moved.
 */
export const makeWith = (options: DirectCommitOptions = {}) =>
  Effect.gen(function* () {
    const bus = yield* Bus.Bus
    const faults = yield* Faults.Faults
    // Provided by `layer`; a boundary built without them refuses decisions that schedule or cancel.
    const timers = yield* Effect.serviceOption(MemoryTimers.MemoryTimers)
    const states = new Map<string, Map<string, Row>>()
    const audits = new Map<string, Array<AuditEntry>>()
    const rememberedIds = options.rememberedIds ?? 10_000
    // Per host: message id → the message first submitted under it (insertion order = age).
    const submitted = new Map<string, Map<string, Envelope>>()

    const table = (host: string) => {
      let rows = states.get(host)
      if (rows === undefined) {
        rows = new Map()
        states.set(host, rows)
      }
      return rows
    }

    const deliver = (step: "publish" | "dispatch", envelope: Envelope, failures: Array<DeliveryFailure>) => {
      const consumers = bus.consumersOf(envelope.type)
      if (consumers.length === 0) {
        if (step === "dispatch") {
          failures.push({ step, to: "(none)", envelope, error: `no host consumes command ${envelope.type}` })
        }
        return Effect.void
      }
      return Effect.forEach(
        consumers,
        (to) =>
          faults.check(step, to).pipe(
            Effect.zipRight(bus.tell(to, envelope)),
            Effect.catchAll((error) =>
              Effect.sync(() => {
                failures.push({ step, to, envelope, error: describe(error) })
              })
            )
          ),
        { discard: true }
      )
    }

    return CommitBoundary.of({
      kind: "memory",
      submit: (host, envelope) =>
        Effect.suspend((): Effect.Effect<void, SubmitRejected | MessageIdReused> => {
          let seen = submitted.get(host)
          if (seen === undefined) {
            seen = new Map()
            submitted.set(host, seen)
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
            // Refused, so not received: the id stays free (unless an earlier submit holds it).
            if (first === undefined) remembered.delete(envelope.messageId)
            return new SubmitRejected({ host, messageId: envelope.messageId, reason: error.reason })
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
        Effect.gen(function* () {
          const host = request.host.name
          yield* Effect.mapError(
            faults.check("save", host),
            (error) => new PersistenceError({ operation: "save", message: error.message })
          )
          if (
            timers._tag === "None" &&
            (request.scheduled !== undefined || request.cancelled !== undefined)
          ) {
            return yield* new PersistenceError({
              operation: "save",
              message:
                "this memory boundary has no timers (build it with DirectCommit.layer): nothing was saved"
            })
          }
          const rows = table(host)
          const current = rows.get(request.key)?.version ?? 0
          if (current !== request.expectedVersion) {
            return yield* new VersionConflict({ host, key: request.key, expected: request.expectedVersion })
          }
          const changed = request.state !== undefined
          const version = changed ? current + 1 : current
          if (changed) rows.set(request.key, { state: request.state, version })
          let log = audits.get(host)
          if (log === undefined) {
            log = []
            audits.set(host, log)
          }
          log.push({
            seq: log.length + 1,
            host,
            key: request.key,
            message: request.consumed,
            events: request.events,
            commands: request.commands,
            ...(request.scheduled === undefined ? {} : { scheduled: request.scheduled }),
            ...(request.cancelled === undefined ? {} : { cancelled: request.cancelled }),
            stateChanged: changed,
            version,
            committedAt: yield* Clock.currentTimeMillis
          })
          if (bus.observed()) {
            yield* bus.observe({
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
          }
          // Timers start once the state is saved, as messages are sent: cancelled first, so a decision may replace one.
          if (timers._tag === "Some") {
            if (request.cancelled !== undefined) yield* timers.value.cancel(request.cancelled)
            if (request.scheduled !== undefined) yield* timers.value.schedule(host, request.scheduled)
          }
          const failures: Array<DeliveryFailure> = []
          for (const event of request.events) yield* deliver("publish", event, failures)
          for (const command of request.commands) yield* deliver("dispatch", command, failures)
          for (const failure of failures) {
            yield* bus.observe({ _tag: "DeliveryFailed", ...failure })
            yield* Effect.logWarning(
              `${failure.step} of ${failure.envelope.type} ${failure.envelope.messageId} to ${failure.to} failed after ${host} saved: ${failure.error}`
            )
          }
          const report: CommitReport = { version, duplicate: false, failures }
          return report
        })
    })
  })

/** The in-memory direct commit with default options (see `makeWith`). */
export const make = makeWith()

/** The in-memory direct-commit boundary with its timers (needs the Bus and Faults services). */
export const layer: Layer.Layer<
  CommitBoundary | MemoryTimers.MemoryTimers | Timers,
  never,
  Bus.Bus | Faults.Faults
> = Layer.effect(CommitBoundary, make).pipe(Layer.provideMerge(MemoryTimers.layer))

/** The in-memory boundary with its own bus and an idle fault injector. */
export const layerMemory: Layer.Layer<
  CommitBoundary | MemoryTimers.MemoryTimers | Timers | Bus.Bus | Faults.Faults
> = layer.pipe(Layer.provideMerge(Layer.merge(Bus.layer, Faults.layer)))

// internal

const describe = (error: unknown): string =>
  typeof error === "object" && error !== null && "reason" in error
    ? String((error as { reason: unknown }).reason)
    : typeof error === "object" && error !== null && "message" in error
      ? String((error as { message: unknown }).message)
      : String(error)
