import { Clock, Effect, Layer } from "effect"
import * as Application from "../commit/Application.js"
import type { AuditEntry } from "../commit/CommitBoundary.js"
import { CommitBoundary, PersistenceError } from "../commit/CommitBoundary.js"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import * as Timers from "../commit/Timers.js"
import type { Envelope } from "../runtime/Envelope.js"
import { type BoxRow, Journal, type Parked, type Records, type ReplayInputs } from "./Journal.js"

/**
 * The operator's journal of a running application on the in-memory boundary: the hosts' audit logs, the messages
 * their supervisors parked (the memory boundary has no boxes: nothing waits in a table), and its timers when the
 * boundary has them.
 */
export const make = (
  hosts: ReadonlyArray<AnyHostDefinition>
): Effect.Effect<Journal["Type"], never, Application.Application | CommitBoundary> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const boundary = yield* CommitBoundary
    const timers = yield* Effect.serviceOption(Timers.Timers)
    const timerCounts = Effect.gen(function* () {
      if (timers._tag === "None") return new Map<string, Timers.TimerCounts>()
      const pending = yield* Effect.orElseSucceed(timers.value.pending, () => [])
      const now = yield* Clock.currentTimeMillis
      return new Map(Timers.counts(pending, now).map((c) => [c.host, c]))
    })

    const parkedMessages = Effect.gen(function* () {
      const list: Array<{ parked: Parked; row: BoxRow }> = []
      for (const host of app.hosts.values()) {
        for (const p of yield* host.actor.parked) {
          const envelope = p.message as Envelope
          list.push({
            parked: {
              host: host.name,
              where: "mailbox",
              id: p.id,
              messageId: envelope.messageId,
              correlationId: envelope.correlationId,
              type: envelope.type,
              key: p.key,
              attempts: p.attempts,
              reason: p.causeText.split("\n")[0] ?? "",
              parkedAt: p.parkedAt
            },
            row: {
              host: host.name,
              box: "mailbox",
              envelope,
              peer: "",
              attempts: p.attempts,
              lastError: p.causeText.split("\n")[0] ?? "",
              storedAt: p.parkedAt,
              dueAt: null,
              doneAt: null,
              parkedAt: p.parkedAt
            }
          })
        }
      }
      return list
    })
    const audits = Effect.map(
      Effect.forEach(hosts, (host) => Effect.orElseSucceed(boundary.audit(host.name), () => [])),
      (lists): ReadonlyArray<AuditEntry> => lists.flat()
    )

    return Journal.of({
      kind: "memory",
      hosts,
      locations: Object.fromEntries(hosts.map((host) => [host.name, "memory"])),
      status: () =>
        Effect.map(Effect.all([app.stats, timerCounts]), ([stats, counts]) =>
          stats.map((s) => ({
            host: s.host,
            location: "memory",
            backlog: s.mailboxDepth + s.inFlight,
            outboxPending: 0,
            outboxByDestination: {},
            inboxPending: s.mailboxDepth,
            lagMillis: 0,
            parked: s.parked,
            overdue: 0,
            timersScheduled: counts.get(s.host)?.scheduled ?? 0,
            timersOverdue: counts.get(s.host)?.overdue ?? 0
          }))
        ),
      parked: Effect.map(parkedMessages, (list) => list.map((p) => p.parked)),
      pending: () => Effect.succeed([]),
      redrive: (id) =>
        Effect.gen(function* () {
          for (const host of app.hosts.values()) {
            const done = yield* host.actor.redrive(id).pipe(
              Effect.as(true),
              Effect.catchTag("NotParked", () => Effect.succeed(false)),
              Effect.mapError(
                (error) =>
                  new PersistenceError({ operation: "redrive", message: `${host.name}: ${error._tag}` })
              )
            )
            if (done) return true
          }
          return false
        }),
      locate: (messageId) =>
        Effect.gen(function* () {
          for (const entry of yield* audits) {
            for (const e of [entry.message, ...entry.events, ...entry.commands])
              if (e.messageId === messageId) return e.correlationId
          }
          const parked = (yield* parkedMessages).find((p) => p.parked.messageId === messageId)
          return parked?.row.envelope.correlationId
        }),
      flow: (correlationId) =>
        Effect.gen(function* () {
          const audit = (yield* audits).filter((entry) => entry.message.correlationId === correlationId)
          const rows = (yield* parkedMessages)
            .map((p) => p.row)
            .filter((row) => row.envelope.correlationId === correlationId)
          return { audit, rows } satisfies Records
        }),
      replayInputs: (name, only) =>
        Effect.gen(function* () {
          const definition = hosts.find((host) => host.name === name)
          if (definition === undefined)
            return yield* new PersistenceError({ operation: "replay", message: `no host ${name}` })
          const keys = only ?? (yield* boundary.keys(definition))
          const audit =
            only === undefined
              ? yield* boundary.audit(name)
              : (yield* Effect.forEach(keys, (key) => boundary.audit(name, key))).flat()
          const stored = new Map<string, unknown>()
          for (const key of keys) stored.set(key, (yield* boundary.read(definition, key))?.state)
          return { audit, stored } satisfies ReplayInputs
        }),
      recent: (limit) =>
        Effect.gen(function* () {
          const audit: Array<AuditEntry> = []
          for (const host of hosts)
            audit.push(...(yield* Effect.orElseSucceed(boundary.audit(host.name), () => [])).slice(-limit))
          return { audit, rows: (yield* parkedMessages).map((p) => p.row) } satisfies Records
        })
    })
  })

/** The journal of the running in-memory application's hosts, as a layer. */
export const layer = (hosts: ReadonlyArray<AnyHostDefinition>) => Layer.effect(Journal, make(hosts))
