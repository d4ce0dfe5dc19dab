import { Chunk, Clock, type Context, Duration, Effect, Layer, Schedule } from "effect"
import * as Application from "../commit/Application.js"
import * as Bus from "../commit/Bus.js"
import {
  type AuditEntry,
  CommitBoundary,
  type CommitReport,
  type PersistenceError
} from "../commit/CommitBoundary.js"
import * as DirectCommit from "../commit/DirectCommit.js"
import * as Faults from "../commit/Faults.js"
import type * as Host from "../commit/Host.js"
import type {
  AnyHostDefinition,
  DecodeFailure,
  HostDefinition,
  WireMessage
} from "../commit/HostDefinition.js"
import * as MessageIds from "../commit/MessageIds.js"
import type * as MemoryTimers from "../commit/MemoryTimers.js"
import * as Timers from "../commit/Timers.js"
import type * as Actor from "../runtime/Actor.js"
import * as ActorSystem from "../runtime/ActorSystem.js"
import * as Envelope from "../runtime/Envelope.js"
import type * as Supervisor from "../runtime/Supervisor.js"
import * as DeterministicTracer from "./internal/deterministicTracer.js"
import * as Progress from "./internal/progress.js"
import * as Recorder from "./Recorder.js"

/** Options of a test application. */
export interface TestAppOptions {
  /** Prefix of the deterministic ids given to messages from outside (`<prefix>-1`, `<prefix>-2`, ...; default "m"). */
  readonly idPrefix?: string
  /**
   * Supervision defaults of every host (over `testPolicy`): the default restarts at once, so no timer is involved;
   * give a `backoff` to test delays (`settle` moves the TestClock to them).
   */
  readonly supervision?: Partial<Supervisor.SupervisionPolicy>
  /** Per-host runtime options (mailbox size, concurrency, supervision overrides). */
  readonly host?: (name: string) => Host.HostOptions
  /**
   * Trace context in envelopes from a counting tracer (default true), so envelopes repeat exactly from run to run;
   * false keeps the tracer the test provides.
   */
  readonly deterministicTraces?: boolean
  /** Other actor-system defaults (mailbox size, shutdown timeout...). */
  readonly system?: Omit<ActorSystem.ActorSystemOptions, "defaults">
}

/** Every service a test application provides. */
export type TestServices =
  | Application.Application
  | Bus.Bus
  | Faults.Faults
  | CommitBoundary
  | ActorSystem.ActorSystem
  | MessageIds.MessageIds
  | Recorder.Recorder
  | MemoryTimers.MemoryTimers
  | Timers.Timers

/** Supervision in tests: restart at once (no jitter, no timer), park after 3 attempts, 10 restarts per 10 s per key. */
export const testPolicy: Partial<Supervisor.SupervisionPolicy> = { backoff: Schedule.forever }

/**
 * The given hosts as one application on the in-memory boundary, with deterministic message ids, a recorder of
 * everything the bus reports and no timer on the message path (idle keys are never passivated; restarts are
 * immediate unless a backoff is given; closing interrupts what is left), so it runs under the TestClock without
 * sleeping.
 */
export const layer = (
  definitions: ReadonlyArray<AnyHostDefinition>,
  options: TestAppOptions = {}
): Layer.Layer<TestServices> => {
  const app = Layer.merge(
    Application.layer(definitions, options.host === undefined ? {} : { host: options.host }),
    Recorder.layer
  ).pipe(
    Layer.provideMerge(DirectCommit.layer),
    Layer.provideMerge(
      Layer.mergeAll(
        ActorSystem.layerWith({
          idleTimeout: Duration.infinity,
          // Closing the layer does not wait for unfinished work: a clock-based drain timeout would never fire
          // under the TestClock, and a failed test would hang in its finalizer instead of reporting its failure.
          shutdownTimeout: Duration.zero,
          ...options.system,
          defaults: { ...testPolicy, ...options.supervision }
        }),
        MessageIds.layerDeterministic(options.idPrefix ?? "m"),
        Bus.layer,
        Faults.layer
      )
    )
  )
  return options.deterministicTraces === false
    ? app
    : Layer.provide(app, Layer.unwrapEffect(Effect.sync(() => Layer.setTracer(DeterministicTracer.make()))))
}

/**
 * Waits until every host is idle: no message queued, in flight or waiting for a restart. Under the TestClock, work
 * that waits on a timer (a restart backoff) would never finish, so the clock is moved to the next timer whenever
 * the hosts stop making progress; `timeout` then bounds the clock time moved (default 30 seconds). On a live clock
 * (real I/O) `timeout` is how long nothing may move: a loaded machine makes the work slower, not a failure.
 *
 * Messages scheduled for later (see `timers`) are not waited for by default (`timers: "ignore"`): the clock is never
 * moved to their due time, so they stay pending (one falls due only if the clock passes it for other work). With
 * `timers: "wait"` the clock is moved to each due time in turn, within `timeout`, until none is left.
 */
export const settle = (
  options: { readonly timeout?: Duration.DurationInput; readonly timers?: Application.SettleTimers } = {}
): Effect.Effect<
  void,
  Application.SettleTimeout | PersistenceError,
  Application.Application | ActorSystem.ActorSystem
> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const clock = yield* Effect.clock
    if (!isTestClock(clock))
      return yield* Progress.settle({
        stall: options.timeout ?? Duration.seconds(30),
        ...(options.timers === undefined ? {} : { timers: options.timers })
      })
    const system = yield* ActorSystem.ActorSystem
    const timers = yield* Effect.serviceOption(Timers.Timers)
    const pendingTimers = timers._tag === "Some" ? timers.value.pending : Effect.succeed([])
    const waitForTimers = options.timers === "wait"
    const limit = Duration.toMillis(options.timeout ?? Duration.seconds(30))
    const start = clock.unsafeCurrentTimeMillis()
    let progress = -1
    let stalled = 0
    // Keep the recorder's log complete during long runs (the bus feed it reads from is bounded).
    const recorder = yield* Effect.serviceOption(Recorder.Recorder)
    const flush = recorder._tag === "Some" ? recorder.value.flush : Effect.void
    while (true) {
      yield* flush
      const quiet = yield* Effect.raceFirst(
        Effect.as(system.awaitQuiescent, true),
        Effect.as(letRun(64), false)
      )
      const scheduled = yield* pendingTimers
      if (quiet && waitForTimers && scheduled.length > 0) {
        const now_ = clock.unsafeCurrentTimeMillis()
        const next = Math.min(...scheduled.map((timer) => timer.dueAt))
        if (next > start + limit) {
          return yield* new Application.SettleTimeout({
            timeoutMillis: limit,
            pending: 0,
            backlog: 0,
            timers: scheduled.length
          })
        }
        yield* clock.adjust(Duration.millis(Math.max(0, next - now_)))
        continue
      }
      // Quiescent: the in-memory boundary has no backlog, but app.settle also checks it for other boundaries.
      if (quiet) return yield* app.settle(options.timeout === undefined ? {} : { timeout: options.timeout })
      const done = yield* Progress.attempts
      if (done !== progress) {
        progress = done
        stalled = 0
        continue
      }
      // Not waiting for timers: move the clock only for other sleeps (restart backoffs), never to a due time.
      const dueTimes = new Set(waitForTimers ? [] : scheduled.map((timer) => timer.dueAt))
      const sleeps = Chunk.toReadonlyArray(yield* clock.sleeps).filter((at) => !dueTimes.has(at))
      const now_ = clock.unsafeCurrentTimeMillis()
      if (sleeps.length > 0 && now_ - start < limit) {
        const next = Math.min(Math.min(...sleeps), start + limit)
        yield* clock.adjust(Duration.millis(Math.max(0, next - now_)))
        continue
      }
      if (++stalled > 100 || now_ - start >= limit) {
        return yield* new Application.SettleTimeout({
          timeoutMillis: limit,
          pending: yield* system.pending,
          backlog: 0
        })
      }
    }
  })

/** Messages scheduled for later and not yet delivered, soonest first (due time, producer, destination, type, key). */
export const timers: Effect.Effect<ReadonlyArray<Timers.PendingTimer>, never, Timers.Timers> = Effect.flatMap(
  Timers.Timers,
  (service) => Effect.orDie(service.pending)
)

/** The current state of one key of a host, read through the boundary. */
export const stateOf = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>,
  key: string
): Effect.Effect<S | undefined, PersistenceError, Application.Application> =>
  Effect.flatMap(Application.Application, (app) => app.host(definition).state(key))

/** A host's audit log (optionally of one key), in commit order. */
export const auditOf = (
  host: string,
  key?: string
): Effect.Effect<ReadonlyArray<AuditEntry>, PersistenceError, CommitBoundary> =>
  Effect.flatMap(CommitBoundary, (boundary) => boundary.audit(host, key))

/** The running host of a definition. */
export const host = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>
): Effect.Effect<Host.Host<S, In, E>, never, Application.Application> =>
  Effect.map(Application.Application, (app) => app.host(definition))

/**
 * The envelope a host's front door would build for a typed message (a fresh deterministic id unless `origin` names
 * one), without sending it: hand it to `ask` or `redeliver`, as often as the test needs.
 */
export const envelopeOf = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>,
  message: In,
  origin: Host.Origin = {}
): Effect.Effect<Envelope.Envelope, never, MessageIds.MessageIds> =>
  Effect.gen(function* () {
    const messageId =
      (origin.messageId as Envelope.MessageId | undefined) ?? (yield* (yield* MessageIds.MessageIds).next)
    const wire = (definition.encode as (m: unknown) => WireMessage)(message)
    return Envelope.make(messageId, definition.keyOf(message), wire, yield* Clock.currentTimeMillis, {
      causationId: origin.causationId as Envelope.MessageId | undefined,
      correlationId: origin.correlationId as Envelope.MessageId | undefined
    })
  })

/** Hands an envelope to its host and waits for the outcome: the commit report, or the typed error the caller sees. */
export const ask = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>,
  envelope: Envelope.Envelope
): Effect.Effect<
  CommitReport,
  Host.HandleError | Actor.MailboxFull | Actor.ActorStopped | Actor.MessageParked,
  Application.Application
> => Effect.flatMap(Application.Application, (app) => app.host(definition).actor.ask(envelope.key, envelope))

/** The recorder of everything the bus reported: commits, published events, dispatched commands, failures. */
export const delivered: Effect.Effect<
  Context.Tag.Service<Recorder.Recorder>,
  never,
  Recorder.Recorder
> = Recorder.Recorder

/** Hands a recorded envelope to a host again, as an at-least-once transport would (same id, same payload). */
export const redeliver = (
  host: string,
  envelope: Envelope.Envelope
): Effect.Effect<void, Bus.Undeliverable, Bus.Bus> =>
  Effect.flatMap(Bus.Bus, (bus) => bus.tell(host, envelope))

/**
 * Makes the next `count` operations at a boundary step fail. For "save" `host` is the committing host; for
 * "publish" and "dispatch" it is the host the message is being delivered to (any host when absent).
 */
export const failNext = (
  point: "save" | "publish" | "dispatch",
  count: number,
  host?: string
): Effect.Effect<void, never, Faults.Faults> =>
  Effect.flatMap(Faults.Faults, (faults) => faults.arm(point, count, host))

/** Makes a host's handler die (a defect, as a bug would) on the next `count` matching messages. */
export const crashOn = (
  target: Faults.CrashTarget,
  count: number
): Effect.Effect<void, never, Faults.Faults> =>
  Effect.flatMap(Faults.Faults, (faults) => faults.armCrash(target, count))

/** Messages a host parked after its handler died too often, oldest first. */
export const parked = (
  host: string
): Effect.Effect<ReadonlyArray<Actor.ParkedMessage<Envelope.Envelope>>, never, Application.Application> =>
  Effect.flatMap(Application.Application, (app) => {
    const running = app.hosts.get(host)
    return running === undefined
      ? Effect.die(new Error(`host ${host} is not part of this application`))
      : running.actor.parked
  })

/**
 * Lets the hosts run (scheduler yields only, the clock does not move) until `check` holds; dies when it never does.
 * For asserting on an intermediate moment, e.g. one key served while another waits for its restart.
 */
export const eventually = <E, R>(
  check: Effect.Effect<boolean, E, R>,
  options: { readonly yields?: number; readonly label?: string } = {}
): Effect.Effect<void, E, R> =>
  Effect.gen(function* () {
    const yields = options.yields ?? 10_000
    for (let i = 0; i < yields; i++) {
      if (yield* check) return
      yield* Effect.yieldNow()
    }
    if (yield* check) return
    return yield* Effect.die(
      new Error(`never held: ${options.label ?? "condition"} (after ${yields} yields)`)
    )
  })

// internal

interface TestClockLike extends Clock.Clock {
  readonly adjust: (duration: Duration.DurationInput) => Effect.Effect<void>
  readonly sleeps: Effect.Effect<Chunk.Chunk<number>>
}

const isTestClock = (clock: Clock.Clock): clock is TestClockLike =>
  typeof (clock as Partial<TestClockLike>).adjust === "function" &&
  Effect.isEffect((clock as Partial<TestClockLike>).sleeps)

const letRun = (yields: number): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (let i = 0; i < yields; i++) yield* Effect.yieldNow()
  })
