import { Effect, Either, Metric, MetricLabel, Schema } from "effect"
import type { Scope } from "effect"
import type * as Actor from "../runtime/Actor.js"
import * as ActorSystem from "../runtime/ActorSystem.js"
import type { Envelope } from "../runtime/Envelope.js"
import * as Bus from "./Bus.js"
import type {
  Behind,
  CommitReport,
  CommitRequest,
  Loaded,
  PersistenceError,
  ScheduledEnvelope,
  VersionConflict
} from "./CommitBoundary.js"
import { CommitBoundary } from "./CommitBoundary.js"
import * as Faults from "./Faults.js"
import * as FrontDoor from "./FrontDoor.js"
import * as Produced from "./internal/produced.js"
import { MessageRejected } from "./FrontDoor.js"
import type * as Decision from "./Decision.js"
import type { DecodeFailure, HostDefinition } from "./HostDefinition.js"
import * as Scheduling from "./internal/scheduling.js"
import type * as MessageIds from "./MessageIds.js"
import * as StorableText from "./StorableText.js"
import * as Tracing from "./Tracing.js"

/** Version conflicts kept recurring: another writer keeps moving the same key. */
export class ConflictRetriesExhausted extends Schema.TaggedError<ConflictRetriesExhausted>()(
  "ConflictRetriesExhausted",
  { host: Schema.String, key: Schema.String, attempts: Schema.Number }
) {}

/**
 * Handling a message produced a message or a state that no boundary can store (text with a NUL character or a lone
 * surrogate): nothing of it was committed. The reason names the produced message or the state, the field and the
 * problem. A bug in `decide`; only this handling fails.
 */
export class OutputRejected extends Schema.TaggedError<OutputRejected>()("OutputRejected", {
  host: Schema.String,
  messageId: Schema.String,
  type: Schema.String,
  reason: Schema.String
}) {}

export { type SendError, MessageRejected, type Origin } from "./FrontDoor.js"

/** Why handling one message failed with a typed error (a reply, not a crash). */
export type HandleError =
  | MessageRejected
  | OutputRejected
  | PersistenceError
  | ConflictRetriesExhausted
  | Behind

/** Runtime options of one host. */
export interface HostOptions {
  readonly mailboxCapacity?: number
  readonly maxConcurrentKeys?: number
  readonly idleTimeout?: import("effect").Duration.DurationInput
  readonly supervision?: Partial<Actor.SupervisionPolicy>
  /** How often a whole handling is retried on a version conflict before failing clearly. */
  readonly maxConflictRetries?: number
}

/** A host running in this process: its front door, its queries and its supervised actor. */
export interface Host<S, In, E extends DecodeFailure = DecodeFailure> extends FrontDoor.FrontDoor<S, In, E> {
  /** The supervised actor behind the host (stats, parked messages, redrive). */
  readonly actor: Actor.ActorRef<Envelope, CommitReport, HandleError>
}

/** Starts a host for the lifetime of the scope: spawns its actor and registers it with the bus. */
export const start = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>,
  options: HostOptions = {}
): Effect.Effect<
  Host<S, In, E>,
  never,
  Scope.Scope | ActorSystem.ActorSystem | CommitBoundary | Bus.Bus | MessageIds.MessageIds
> =>
  Effect.gen(function* () {
    const system = yield* ActorSystem.ActorSystem
    const boundary = yield* CommitBoundary
    const bus = yield* Bus.Bus
    const faults = yield* Faults.installed
    // The actor's workers are forked from here and keep this fiber's services: its clock, and its tracer. With a
    // tracer that exports spans, handling records them; without one (three cost about 40 µs a message) it records
    // none and passes the incoming trace context on unchanged.
    const clock = yield* Effect.clock
    const traced = yield* Tracing.exporting
    const name = definition.name
    const maxConflictRetries = options.maxConflictRetries ?? 5
    // A state type without any text (a counter) needs no check of what it holds.
    const checkState = !StorableText.holdsNoText(definition.state)
    // One label array for the life of the host: the metric finds its series by this array's identity.
    const handleLabels = [MetricLabel.make("time_unit", "milliseconds"), MetricLabel.make("host", name)]

    const decide = (loaded: Loaded | undefined, envelope: Envelope, message: In) =>
      definition.decide(loaded?.state as S | undefined, message, {
        messageId: envelope.messageId,
        now: envelope.occurredAt
      })

    /** What the boundary is asked to commit, or why nothing may be (text no boundary can store). */
    const requestOf = (
      key: string,
      envelope: Envelope,
      loaded: Loaded | undefined,
      decision: Decision.Decision<S, Ev, Cmd, In | Ev | Cmd>,
      traceparent: string | undefined
    ): CommitRequest | OutputRejected => {
      const now = clock.unsafeCurrentTimeMillis()
      const events = Produced.envelopes(definition, envelope, key, decision.events, 0, now, traceparent)
      const commands = Produced.envelopes(
        definition,
        envelope,
        key,
        decision.commands,
        events.length,
        now,
        traceparent
      )
      const scheduled =
        decision.scheduled === undefined
          ? noScheduled
          : Scheduling.envelopes(definition, envelope, key, decision, now, traceparent)
      const problem = Produced.problem(
        checkState ? decision.state : undefined,
        events,
        scheduled.length === 0 ? commands : [...commands, ...scheduled.map((item) => item.envelope)]
      )
      if (problem !== undefined) {
        return new OutputRejected({
          host: name,
          messageId: envelope.messageId,
          type: envelope.type,
          reason: `handling ${envelope.type} ${envelope.messageId} produced text no boundary can store, in ${problem}; nothing was committed`
        })
      }
      return {
        host: definition,
        key,
        consumed: envelope,
        expectedVersion: loaded?.version ?? 0,
        state: decision.state,
        events,
        commands,
        ...(scheduled.length === 0 ? {} : { scheduled }),
        ...(decision.cancelled === undefined || decision.cancelled.length === 0
          ? {}
          : { cancelled: decision.cancelled })
      }
    }

    type AttemptError = PersistenceError | VersionConflict | OutputRejected | Behind

    // The hot path: load, decide (a plain call: a throw is a defect, as in Effect.sync), commit.
    const decideAndCommit = (
      key: string,
      envelope: Envelope,
      message: In
    ): Effect.Effect<CommitReport, AttemptError> =>
      Effect.flatMap(boundary.load(definition, key), (loaded): Effect.Effect<CommitReport, AttemptError> => {
        const request = requestOf(
          key,
          envelope,
          loaded,
          decide(loaded, envelope, message),
          envelope.traceparent
        )
        return request instanceof OutputRejected ? Effect.fail(request) : boundary.commit(request)
      })

    // The same with spans for decide and commit, run inside the handle span (whose context the produced messages carry).
    const decideAndCommitTraced = (
      key: string,
      envelope: Envelope,
      message: In
    ): Effect.Effect<CommitReport, AttemptError> =>
      Effect.flatMap(boundary.load(definition, key), (loaded) =>
        Effect.flatMap(
          Effect.withSpan(
            Effect.sync(() => decide(loaded, envelope, message)),
            "mailroom.decide",
            spanOptions
          ),
          (decision) =>
            Effect.flatMap(
              Tracing.currentTraceparent,
              (traceparent): Effect.Effect<CommitReport, AttemptError> => {
                const request = requestOf(key, envelope, loaded, decision, traceparent)
                return request instanceof OutputRejected
                  ? Effect.fail(request)
                  : Effect.withSpan(boundary.commit(request), "mailroom.commit", {
                      ...spanOptions,
                      attributes: {
                        "mailroom.events": request.events.length,
                        "mailroom.commands": request.commands.length
                      }
                    })
              }
            )
        )
      )

    // One continuation per attempt: a version conflict runs the whole handling again (up to the limit); a failure
    // is reported on the feed; a success is timed from the first attempt.
    const handling = (
      key: string,
      envelope: Envelope,
      message: In
    ): Effect.Effect<CommitReport, HandleError> => {
      const start = clock.unsafeCurrentTimeNanos()
      const attempt = (n: number): Effect.Effect<CommitReport, HandleError> =>
        Effect.matchEffect(
          traced ? decideAndCommitTraced(key, envelope, message) : decideAndCommit(key, envelope, message),
          {
            onFailure: (failure): Effect.Effect<CommitReport, HandleError> => {
              if (failure._tag === "VersionConflict" && n < maxConflictRetries) return attempt(n + 1)
              const error =
                failure._tag === "VersionConflict"
                  ? new ConflictRetriesExhausted({ host: name, key: failure.key, attempts: n + 1 })
                  : failure
              // A handover that would overtake an older message is not a failure: the relay delivers it instead.
              if (error._tag === "Behind") return Effect.fail(error)
              return Effect.zipRight(
                bus.broadcast({ _tag: "HandlingFailed", host: name, envelope, error: describeError(error) }),
                Effect.fail(error)
              )
            },
            onSuccess: (report) => {
              handleDurationMillis.unsafeUpdate(
                Number(clock.unsafeCurrentTimeNanos() - start) / 1_000_000,
                handleLabels
              )
              return Effect.succeed(report)
            }
          }
        )
      const handled = attempt(0)
      return faults === undefined
        ? handled
        : Effect.zipRight(
            Effect.suspend(() => faults.checkCrash(name, envelope)),
            handled
          )
    }

    const handle = (key: string, envelope: Envelope): Effect.Effect<CommitReport, HandleError> => {
      const decoded = definition.decode(envelope)
      if (Either.isLeft(decoded)) {
        const rejected = new MessageRejected({
          host: name,
          messageId: envelope.messageId,
          type: envelope.type,
          reason: decoded.left.message
        })
        return Effect.zipRight(
          bus.broadcast({ _tag: "HandlingFailed", host: name, envelope, error: rejected.reason }),
          Effect.fail(rejected)
        )
      }
      if (!traced) return handling(key, envelope, decoded.right)
      const parent = parentOf(envelope.traceparent)
      return Effect.withSpan(handling(key, envelope, decoded.right), "mailroom.handle", {
        ...spanOptions,
        kind: "consumer",
        attributes: {
          "mailroom.host": name,
          "mailroom.type": envelope.type,
          "mailroom.key": key,
          "mailroom.message_id": envelope.messageId,
          "mailroom.causation_id": envelope.causationId,
          "mailroom.correlation_id": envelope.correlationId
        },
        ...(parent === undefined ? {} : { parent })
      })
    }

    const actor = yield* system.spawn<Envelope, CommitReport, HandleError>(
      {
        name,
        ...(options.mailboxCapacity === undefined ? {} : { mailboxCapacity: options.mailboxCapacity }),
        ...(options.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: options.maxConcurrentKeys }),
        ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
        ...(options.supervision === undefined ? {} : { supervision: options.supervision }),
        describe: (envelope) => `${envelope.type} ${envelope.messageId} (key ${envelope.key})`
      },
      handle
    )

    const undeliverable = (envelope: Envelope, error: { readonly _tag: string }) =>
      new Bus.Undeliverable({
        host: name,
        messageId: envelope.messageId,
        type: envelope.type,
        reason: describeError(error)
      })

    yield* bus.register(name, definition.consumes, {
      tell: (envelope) =>
        Effect.mapError(actor.tell(envelope.key, envelope), (error) => undeliverable(envelope, error)),
      // The asker (the durable relay) owns the message and redelivers it with its own backoff and parking,
      // so a copy parked by the supervisor is dropped rather than left as a stale dead letter.
      ask: (envelope) =>
        Effect.asVoid(actor.ask(envelope.key, envelope)).pipe(
          Effect.tapError((error) =>
            error._tag === "MessageParked" ? Effect.ignore(actor.discard(error.parkedId)) : Effect.void
          ),
          Effect.mapError((error) => undeliverable(envelope, error))
        )
    })

    const frontDoor = yield* FrontDoor.make(definition)
    const host: Host<S, In, E> = { ...frontDoor, actor }
    return host
  })

/** Time spent handling one message (load, decide, commit), per host (tag `host`), in milliseconds. */
export const hostHandleDuration = Metric.timerWithBoundaries(
  "mailroom_host_handle_duration",
  [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000]
)

/** The W3C `traceparent` of a span (see Tracing). */
export const traceparentOf = Tracing.traceparentOf

/** The span a `traceparent` names (see Tracing). */
export const parentOf = Tracing.parentOf

// internal

// The same histogram as `hostHandleDuration` (its key compares boundaries by reference: the same ones), fed
// milliseconds with all its labels at once. Updating the timer with a host label builds and hashes a new metric key
// every time (the timer's own label is merged into a new array, so the hook cache never hits): ~2 µs a message.
const handleDurationMillis = Metric.histogram(
  "mailroom_host_handle_duration",
  hostHandleDuration.keyType.boundaries
)

// One empty list for every handling that schedules nothing.
const noScheduled: ReadonlyArray<ScheduledEnvelope> = Object.freeze([])

// The call site of these spans is always this file, so a captured stack adds nothing to a trace; capturing it
// costs about 5 µs per span, a measurable share of handling a message (see BENCHMARKS.md).
const spanOptions = { captureStackTrace: false } as const

const describeError = (error: { readonly _tag: string }): string => {
  const fields = error as { readonly reason?: unknown; readonly message?: unknown }
  const detail =
    typeof fields.reason === "string"
      ? fields.reason
      : typeof fields.message === "string"
        ? fields.message
        : ""
  return detail === "" ? error._tag : `${error._tag}: ${detail}`
}
