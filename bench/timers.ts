import { Deferred, Effect, Exit, Schema } from "effect"
import * as Application from "../src/commit/Application.js"
import * as Decision from "../src/commit/Decision.js"
import * as HostDefinition from "../src/commit/HostDefinition.js"
import * as Apps from "./apps.js"
import { bestOf, withDatabase } from "./counter.js"
import { base, type Figure, percentile, vs } from "./report.js"
import { runFor } from "./timing.js"

/** Options of the timer benchmark. */
export interface TimerOptions {
  readonly quick: boolean
  readonly adminUrl: string
}

/**
 * Durable timers on PostgreSQL (issue #17).
 *
 * - Firing lateness: 1,000 messages scheduled (by `timer` decisions, `Decision.at`) to fall due at the same instant a
 *   few seconds ahead; the lateness of each is the consumer's (`alarm`) commit time minus the due time. Baseline: the
 *   one-message hand-off of the same two hosts in the same application (timer commits an outgoing message now →
 *   alarm commits), timed from timer's commit, measured just before the burst.
 * - Scheduling cost: host commits at 4 callers where each decision schedules one message (an hour ahead), against
 *   commits of the same host where each decision sends that message now instead; alternating rounds, best of each.
 */
export const runTimerBench = (options: TimerOptions): Effect.Effect<ReadonlyArray<Figure>, unknown> =>
  Effect.gen(function* () {
    const lateness = yield* withDatabase(options.adminUrl, (url) => latenessRun(url, options.quick))
    const cost = yield* withDatabase(options.adminUrl, (url) => costRun(url, options.quick))
    const drain = vs(
      "timers",
      "timers.pg.burst.drain",
      lateness.drainPerSecond,
      "commits/s",
      { name: "timers.pg.sendCost.c16", value: cost.wide },
      {
        better: "higher",
        note: "the 1,000 due timers: alarm commits per second from the first to the last; the boundary's own commit rate at 16 callers bounds it"
      }
    )
    return [...lateness.figures, drain, ...cost.figures]
  })

// internal

const Arm = Schema.TaggedStruct("Arm", { key: Schema.String, at: Schema.Number })
const Send = Schema.TaggedStruct("Send", { key: Schema.String })
/** The message fired (scheduled) or sent now; `due` is its due time in epoch ms (0 when sent now). */
const Ring = Schema.TaggedStruct("Ring", { key: Schema.String, due: Schema.Number })

/** One host shape for both sides: a decision either schedules one Ring (Arm) or sends one Ring now (Send). */
const timer = HostDefinition.fromSchemas({
  name: "timer",
  state: Schema.Struct({ n: Schema.Int }),
  inbound: Schema.Union(Arm, Send),
  events: Ring,
  keyOf: (message) => message.key,
  decide: (state, message) => {
    const n = (state?.n ?? 0) + 1
    return message._tag === "Arm"
      ? Decision.make({
          state: { n },
          scheduled: [Decision.at(message.at, Ring.make({ key: message.key, due: message.at }))]
        })
      : Decision.make({ state: { n }, events: [Ring.make({ key: message.key, due: 0 })] })
  }
})

/** The consumer of Ring: one state update per message. */
const alarm = HostDefinition.fromSchemas({
  name: "alarm",
  state: Schema.Struct({ n: Schema.Int }),
  inbound: Ring,
  keyOf: (message) => message.key,
  decide: (state) => Decision.make({ state: { n: (state?.n ?? 0) + 1 } })
})

/** Resolves once `done()` holds, checking every millisecond. */
const waitUntil = (done: () => boolean) =>
  new Promise<void>((resolve) => {
    const check = () => (done() ? resolve() : setTimeout(check, 1))
    check()
  })

/** Wall-clock time in epoch milliseconds with sub-millisecond resolution. */
const wallNow = () => performance.timeOrigin + performance.now()

const latenessRun = (url: string, quick: boolean) =>
  Effect.gen(function* () {
    const timers = 1000
    const handOffs = quick ? 30 : 200
    const singleTimers = quick ? 20 : 100
    const minAheadMs = 3000
    const committed = new Map<string, number>()
    const handOff = new Map<string, Deferred.Deferred<number>>()
    const lateness: Array<number> = []
    const allFired = yield* Deferred.make<void>()
    const run = yield* Apps.started(
      Apps.postgres(url, [timer, alarm], {
        onCommit: (request) => {
          const now = wallNow()
          if (request.host.name === "timer") {
            if (request.consumed.type === "Send") committed.set(request.consumed.messageId, now)
            return
          }
          const due = (request.consumed.payload as { readonly due: number }).due
          if (due > 0) {
            lateness.push(now - due)
            if (lateness.length === timers) Deferred.unsafeDone(allFired, Exit.void)
          } else {
            const done = handOff.get(request.consumed.causationId)
            if (done !== undefined) {
              handOff.delete(request.consumed.causationId)
              Deferred.unsafeDone(done, Exit.succeed(now))
            }
          }
        }
      })
    )
    const host = (yield* run(Application.Application)).host(timer)

    // Baseline: one message at a time, timer's commit → alarm's commit (the relay's hand-off).
    const handOffTimes: Array<number> = []
    for (let i = 0; i < handOffs + 10; i++) {
      const envelope = Apps.envelopeFor(host, Send.make({ key: `h${i % 8}` }))
      const done = yield* Deferred.make<number>()
      handOff.set(envelope.messageId, done)
      yield* host.actor.ask(envelope.key, envelope)
      const handledAt = yield* Deferred.await(done)
      const at = committed.get(envelope.messageId)!
      committed.delete(envelope.messageId)
      if (i >= 10) handOffTimes.push(handledAt - at)
    }

    // Precision: one timer at a time, due a little ahead, nothing else scheduled around it.
    const singles: Array<number> = []
    for (let i = 0; i < singleTimers; i++) {
      const at = Math.ceil(Date.now() + 150)
      const fired = lateness.length
      yield* Apps.ask(host, Arm.make({ key: `s${i}`, at }))
      yield* Effect.promise(() => waitUntil(() => lateness.length > fired))
      singles.push(lateness[lateness.length - 1]!)
    }
    lateness.length = 0

    // How fast timers are scheduled here and now (timers an hour ahead on keys of their own), so the burst's due
    // time leaves room to schedule all of it first on a slow or loaded machine.
    const probe = 100
    const p0 = wallNow()
    yield* Effect.forEach(
      Array.from({ length: probe }, (_, i) => i),
      (i) => Apps.ask(host, Arm.make({ key: `p${i}`, at: Date.now() + 3_600_000 })),
      { concurrency: 16, discard: true }
    )
    const aheadMs = Math.max(minAheadMs, Math.ceil((3 * (wallNow() - p0) * timers) / probe) + 1000)

    // 1,000 timers, each on its own key, all due at the same instant.
    const due = Math.ceil(Date.now() + aheadMs)
    const t0 = wallNow()
    yield* Effect.forEach(
      Array.from({ length: timers }, (_, i) => i),
      (i) => Apps.ask(host, Arm.make({ key: `t${i}`, at: due })),
      { concurrency: 16, discard: true }
    )
    const scheduledBy = wallNow()
    const scheduleSeconds = (scheduledBy - t0) / 1000
    if (scheduledBy >= due)
      return yield* Effect.fail(
        new Error(`timers: scheduling took ${scheduleSeconds.toFixed(1)} s, past the due time; not measured`)
      )
    yield* Deferred.await(allFired).pipe(
      Effect.timeoutFail({
        duration: aheadMs + 60_000,
        onTimeout: () =>
          new Error(`timers: only ${lateness.length} of ${timers} fired within a minute of their due time`)
      })
    )
    const p50 = percentile(lateness, 0.5)
    const p99 = percentile(lateness, 0.99)
    const last = Math.max(...lateness)
    const first = Math.min(...lateness)
    const early = lateness.filter((l) => l < 0).length
    const handOff50 = percentile(handOffTimes, 0.5)
    const handOff99 = percentile(handOffTimes, 0.99)
    const scheduledNote = `${timers} timers on ${timers} keys scheduled at 16 callers in ${scheduleSeconds.toFixed(2)} s, due ${(aheadMs / 1000).toFixed(1)} s after the first; default relay settings (LISTEN, handover)`
    const drainPerSecond = Math.round((timers - 1) / ((last - first) / 1000))
    const single50 = percentile(singles, 0.5)
    const single99 = percentile(singles, 0.99)
    const figures = [
      base("timers", "timers.pg.handOff.p50", handOff50, "ms", {
        n: handOffs,
        better: "lower",
        note: "timer commits one outgoing message now → the relay hands it to alarm → alarm commits; timed from timer's commit, one at a time"
      }),
      base("timers", "timers.pg.handOff.p99", handOff99, "ms", { n: handOffs, better: "lower" }),
      vs(
        "timers",
        "timers.pg.single.p50",
        single50,
        "ms",
        { name: "timers.pg.handOff.p50", value: handOff50 },
        {
          n: singleTimers,
          better: "lower",
          note: `one timer at a time, due 150 ms after it is scheduled: due time → alarm's commit; ${singles.filter((l) => l < 0).length} fired before the due time`
        }
      ),
      vs(
        "timers",
        "timers.pg.single.p99",
        single99,
        "ms",
        { name: "timers.pg.handOff.p99", value: handOff99 },
        { n: singleTimers, better: "lower" }
      ),
      vs(
        "timers",
        "timers.pg.lateness.p50",
        p50,
        "ms",
        { name: "timers.pg.handOff.p50", value: handOff50 },
        {
          n: timers,
          better: "lower",
          target: "< 10 ms",
          met: p50 < 10,
          note: `due time → alarm's commit; ${scheduledNote}`
        }
      ),
      vs(
        "timers",
        "timers.pg.lateness.p99",
        p99,
        "ms",
        { name: "timers.pg.handOff.p99", value: handOff99 },
        {
          n: timers,
          better: "lower",
          target: "< 100 ms",
          met: p99 < 100,
          note: `first ${first.toFixed(1)} ms, last ${last.toFixed(1)} ms; ${early} fired before the due time`
        }
      )
    ]
    return { figures, drainPerSecond }
  }).pipe(Effect.scoped)

const costRun = (url: string, quick: boolean) =>
  Effect.gen(function* () {
    const seconds = quick ? 0.5 : 1.25
    const rounds = quick ? 2 : 6
    const callers = 4
    const app = yield* Application.Application
    const host = app.host(timer)
    const later = Date.now() + 3_600_000
    const [scheduling, sending, sending16] = (yield* bestOf(rounds, [
      runFor(seconds, callers, (i) => Apps.ask(host, Arm.make({ key: `arm-${i}`, at: later }))),
      runFor(seconds, callers, (i) => Apps.ask(host, Send.make({ key: `send-${i}` }))),
      runFor(seconds, 16, (i) => Apps.ask(host, Send.make({ key: `wide-${i}` })))
    ])) as [number, number, number]
    const figures = [
      base("timers", "timers.pg.sendCost.c16", sending16, "commits/s", {
        note: "the same host at 16 callers: how fast this boundary commits when many keys commit at once (the ceiling of a burst's drain)"
      }),
      base("timers", `timers.pg.sendCost.c${callers}`, sending, "commits/s", {
        note: "host ask on PostgreSQL; each decision updates the state and sends one outgoing message (relay idle as in durable.*)"
      }),
      vs(
        "timers",
        `timers.pg.scheduleCost.c${callers}`,
        scheduling,
        "commits/s",
        { name: `timers.pg.sendCost.c${callers}`, value: sending },
        {
          target: "≥ 0.9× one outgoing message",
          met: scheduling >= 0.9 * sending,
          note: "the same host; each decision updates the state and schedules one message an hour ahead (Decision.at)"
        }
      )
    ]
    return { figures, wide: sending16 }
  }).pipe(
    Effect.provide(
      Apps.postgres(url, [timer, alarm], {
        listen: false,
        handover: false,
        relay: { pollInterval: "1 hour", forward: false },
        maxConnections: 20
      })
    ),
    Effect.scoped
  )
