import { Clock, Context, Duration, Effect, FiberMap, Layer } from "effect"
import * as Bus from "./Bus.js"
import type { ScheduledEnvelope } from "./CommitBoundary.js"
import * as Faults from "./Faults.js"
import { type PendingTimer, Timers, counts, order, setGauges } from "./Timers.js"

/** Options of the in-memory timers. */
export interface MemoryTimersOptions {
  /**
   * Ids of fired or cancelled messages remembered (default 10,000), so the same decision handled again schedules
   * nothing twice and a cancelled message is not brought back; the oldest are forgotten first.
   */
  readonly rememberedIds?: number
}

/**
 * The in-memory boundary's timers: one fiber per scheduled message sleeping on Effect's `Clock` (so `TestClock.adjust`
 * fires them), then handed to its consumers' mailboxes as a dispatched command is. Not durable, like the boundary.
 */
export class MemoryTimers extends Context.Tag("mailroom/commit/MemoryTimers")<
  MemoryTimers,
  {
    /** Starts the timers of messages a host's commit scheduled; an id already pending, fired or cancelled is skipped. */
    readonly schedule: (host: string, scheduled: ReadonlyArray<ScheduledEnvelope>) => Effect.Effect<void>
    /** Stops the timers of these ids if they have not fired yet. */
    readonly cancel: (ids: ReadonlyArray<string>) => Effect.Effect<void>
    /** Timers not yet fired, soonest first. */
    readonly pending: Effect.Effect<ReadonlyArray<PendingTimer>>
  }
>() {}

/** Builds the in-memory timers for the lifetime of the scope. */
export const makeWith = (options: MemoryTimersOptions = {}) =>
  Effect.gen(function* () {
    const bus = yield* Bus.Bus
    const faults = yield* Faults.installed
    const fibers = yield* FiberMap.make<string>()
    const waiting = new Map<string, PendingTimer>()
    const limit = options.rememberedIds ?? 10_000
    const done = new Set<string>()
    const remember = (id: string) => {
      done.add(id)
      if (done.size > limit) done.delete(done.values().next().value!)
    }

    // The scheduled and overdue gauges of a host, set from what waits now (on every schedule, cancel and firing).
    const refresh = (host: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        setGauges(
          counts(
            [...waiting.values()].filter((timer) => timer.host === host),
            now,
            [host]
          )[0]!
        )
      )

    // Ids being handed on: a cancel is too late for them. They stay pending until handed to every consumer.
    const firing = new Set<string>()
    // A timer that fires is delivered like a command the memory boundary dispatches: to each consumer's mailbox,
    // a failure reported (observation and log), never swallowed; uninterruptible, so no consumer is left out.
    const fire = (host: string, item: ScheduledEnvelope) =>
      Effect.gen(function* () {
        firing.add(item.envelope.messageId)
        remember(item.envelope.messageId)
        const consumers = bus.consumersOf(item.envelope.type)
        const failures: Array<{ readonly to: string; readonly error: string }> =
          consumers.length === 0 ? [{ to: "(none)", error: `no host consumes ${item.envelope.type}` }] : []
        for (const to of consumers) {
          const sent = yield* Effect.either(
            faults === undefined
              ? bus.tell(to, item.envelope)
              : Effect.zipRight(faults.check("dispatch", to), bus.tell(to, item.envelope))
          )
          if (sent._tag === "Left") failures.push({ to, error: sent.left.message })
        }
        for (const failure of failures) {
          yield* bus.broadcast({
            _tag: "DeliveryFailed",
            step: "dispatch",
            envelope: item.envelope,
            ...failure
          })
          yield* Effect.logWarning(
            `scheduled ${item.envelope.type} ${item.envelope.messageId} of ${host} could not be delivered to ${failure.to}: ${failure.error}`
          )
        }
      }).pipe(
        Effect.ensuring(
          Effect.zipRight(
            Effect.sync(() => {
              firing.delete(item.envelope.messageId)
              waiting.delete(item.envelope.messageId)
            }),
            refresh(host)
          )
        ),
        Effect.uninterruptible
      )

    return MemoryTimers.of({
      schedule: (host, scheduled) =>
        Effect.forEach(
          scheduled,
          (item) =>
            Effect.suspend(() => {
              const id = item.envelope.messageId
              if (waiting.has(id) || done.has(id)) return Effect.void
              waiting.set(id, {
                messageId: id,
                host,
                destination: bus.consumersOf(item.envelope.type).join(",") || "(none)",
                type: item.envelope.type,
                key: item.envelope.key,
                dueAt: item.dueAt,
                causationId: item.envelope.causationId,
                correlationId: item.envelope.correlationId
              })
              const wait = Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.sleep(Duration.millis(Math.max(0, item.dueAt - now)))
              )
              return FiberMap.run(fibers, id, Effect.zipRight(wait, fire(host, item)), {
                onlyIfMissing: true
              })
            }),
          { discard: true }
        ).pipe(Effect.zipRight(refresh(host))),
      cancel: (ids) =>
        Effect.forEach(
          ids,
          (id) =>
            Effect.suspend(() => {
              const timer = waiting.get(id)
              if (timer === undefined || firing.has(id)) return Effect.void
              waiting.delete(id)
              remember(id)
              return Effect.zipRight(FiberMap.remove(fibers, id), refresh(timer.host))
            }),
          { discard: true }
        ),
      pending: Effect.sync(() => [...waiting.values()].sort(order))
    })
  })

/** The in-memory timers with default options, and the `Timers` listing over them. */
export const layer: Layer.Layer<MemoryTimers | Timers, never, Bus.Bus> = Layer.scopedContext(
  Effect.map(makeWith(), (timers) =>
    Context.make(MemoryTimers, timers).pipe(Context.add(Timers, { pending: timers.pending }))
  )
)
