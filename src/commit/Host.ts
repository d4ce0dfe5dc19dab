import { Clock, Duration, Effect, Either, Metric, MetricLabel, Schema } from "effect"
import type { Scope } from "effect"
import type * as Actor from "../runtime/Actor.js"
import * as ActorSystem from "../runtime/ActorSystem.js"
import type { Envelope } from "../runtime/Envelope.js"
import * as Bus from "./Bus.js"
import type { Behind, CommitReport, PersistenceError, VersionConflict } from "./CommitBoundary.js"
import { CommitBoundary } from "./CommitBoundary.js"
import * as Faults from "./Faults.js"
import * as FrontDoor from "./FrontDoor.js"
import { MessageRejected } from "./FrontDoor.js"
import type { DecodeFailure, HostDefinition } from "./HostDefinition.js"
import * as Scheduling from "./internal/scheduling.js"
import * as MessageIds from "./MessageIds.js"
import * as StorableText from "./StorableText.js"
import * as Tracing from "./Tracing.js"

/** Version conflicts kept recurring: another writer keeps moving the same key. */
export class ConflictRetriesExhausted extends Schema.TaggedError<ConflictRetriesExhausted>()(
  "ConflictRetriesExhausted",
  { host: Schema.String, key: Schema.String, attempts: Schema.Number }
) {}

/**
 * Handling a message produced a message or a state that no store accepts (text with a NUL character or a lone
 * surrogate): nothing of it was committed. The reason names the produced message or the state, the field and the
 * problem. A bug in `decide`; only this handling fails.
 */
export class OutputRejected extends Schema.TaggedError<OutputRejected>()("OutputRejected", {
  host: Schema.String,
  messageId: Schema.String,
  type: Schema.String,
  reason: Schema.String
}) {}

export { type ExecuteError, MessageRejected, type Origin } from "./FrontDoor.js"

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
  Scope.Scope | ActorSystem.ActorSystem | CommitBoundary | Bus.Bus | Faults.Faults | MessageIds.MessageIds
> =>
  Effect.gen(function* () {
    const system = yield* ActorSystem.ActorSystem
    const boundary = yield* CommitBoundary
    const bus = yield* Bus.Bus
    const faults = yield* Faults.Faults
    const name = definition.name
    const maxConflictRetries = options.maxConflictRetries ?? 5

    const outbound = (
      cause: Envelope,
      key: string,
      message: Ev | Cmd,
      index: number,
      now: number,
      traceparent: string | undefined
    ): Envelope => {
      const wire = definition.encode(message)
      return {
        messageId: MessageIds.derive(cause.messageId, index),
        causationId: cause.messageId,
        correlationId: cause.correlationId,
        key: definition.keyOfOutbound?.(message) ?? key,
        type: wire.type,
        version: wire.version,
        payload: wire.payload,
        occurredAt: now,
        ...(traceparent === undefined ? {} : { traceparent })
      }
    }

    // `traced`: a tracer that exports spans is installed (see Tracing.ifExporting). Without one, handling records
    // no spans (three cost about 40 µs a message) and passes the incoming trace context on unchanged.
    const decideAndCommit = (key: string, envelope: Envelope, message: In, traced: boolean) =>
      Effect.flatMap(boundary.load(definition, key), (loaded) => {
        const decide = Effect.sync(() =>
          definition.decide(loaded?.state as S | undefined, message, {
            messageId: envelope.messageId,
            now: envelope.occurredAt
          })
        )
        return Effect.flatMap(
          traced ? Effect.withSpan(decide, "mailroom.decide", spanOptions) : decide,
          (effects) =>
            Effect.flatMap(
              Effect.zip(
                Clock.currentTimeMillis,
                traced ? Tracing.currentTraceparent : Effect.succeed(envelope.traceparent)
              ),
              ([now, traceparent]): Effect.Effect<
                CommitReport,
                PersistenceError | VersionConflict | OutputRejected | Behind
              > => {
                const events = effects.events.map((event, i) =>
                  outbound(envelope, key, event, i, now, traceparent)
                )
                const offset = events.length
                const commands = effects.commands.map((command, i) =>
                  outbound(envelope, key, command, offset + i, now, traceparent)
                )
                const scheduled = Scheduling.envelopes(definition, envelope, key, effects, now, traceparent)
                const problem = outputProblem(effects.state, events, [
                  ...commands,
                  ...scheduled.map((item) => item.envelope)
                ])
                if (problem !== undefined) {
                  return Effect.fail(
                    new OutputRejected({
                      host: name,
                      messageId: envelope.messageId,
                      type: envelope.type,
                      reason: `handling ${envelope.type} ${envelope.messageId} produced text no store accepts, in ${problem}; nothing was committed`
                    })
                  )
                }
                const commit = boundary.commit({
                  host: definition,
                  key,
                  consumed: envelope,
                  expectedVersion: loaded?.version ?? 0,
                  state: effects.state,
                  events,
                  commands,
                  ...(scheduled.length === 0 ? {} : { scheduled }),
                  ...(effects.cancelled === undefined || effects.cancelled.length === 0
                    ? {}
                    : { cancelled: effects.cancelled })
                })
                return traced
                  ? Effect.withSpan(commit, "mailroom.commit", {
                      ...spanOptions,
                      attributes: { "mailroom.events": events.length, "mailroom.commands": commands.length }
                    })
                  : commit
              }
            )
        )
      })

    // One label array for the life of the host: the metric looks its series up by this array's identity.
    const handleLabels = [MetricLabel.make("host", name)]
    const timed = <A, E2>(effect: Effect.Effect<A, E2>) =>
      Effect.clockWith((clock) => {
        const start = clock.unsafeCurrentTimeNanos()
        return Effect.tap(effect, () => {
          hostHandleDuration.unsafeUpdate(
            Duration.nanos(clock.unsafeCurrentTimeNanos() - start),
            handleLabels
          )
        })
      })

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
          bus.observe({ _tag: "HandlingFailed", host: name, envelope, error: rejected.reason }),
          Effect.fail(rejected)
        )
      }
      const attempt = (n: number, traced: boolean): Effect.Effect<CommitReport, HandleError> =>
        Effect.catchTag(
          decideAndCommit(key, envelope, decoded.right, traced),
          "VersionConflict",
          (conflict: VersionConflict) =>
            n < maxConflictRetries
              ? attempt(n + 1, traced)
              : Effect.fail(new ConflictRetriesExhausted({ host: name, key: conflict.key, attempts: n + 1 }))
        )
      const handling = (traced: boolean) =>
        Effect.zipRight(
          faults.checkCrash(name, envelope),
          Effect.tapError(attempt(0, traced), (error) =>
            // A handover that would overtake an older message is not a failure: the relay delivers it instead.
            error._tag === "Behind"
              ? Effect.void
              : bus.observe({ _tag: "HandlingFailed", host: name, envelope, error: describeError(error) })
          )
        ).pipe(timed)
      return Tracing.ifExporting((exporting) => {
        if (!exporting) return handling(false)
        const parent = parentOf(envelope.traceparent)
        return Effect.withSpan(handling(true), "mailroom.handle", {
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

/** Time spent handling one message (decode, load, decide, commit), per host, in milliseconds. */
export const hostHandleDuration = Metric.timerWithBoundaries(
  "mailroom_host_handle_duration",
  [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000]
)

/** The W3C `traceparent` of a span (see Tracing). */
export const traceparentOf = Tracing.traceparentOf

/** The span a `traceparent` names (see Tracing). */
export const parentOf = Tracing.parentOf

// internal

// The call site of these spans is always this file, so a captured stack adds nothing to a trace; capturing it
// costs about 5 µs per span, a measurable share of handling a message (see BENCHMARKS.md).
const spanOptions = { captureStackTrace: false } as const

/** Text in what a handling produced (its new state, its messages) that no store accepts, naming where it is. */
const outputProblem = (
  state: unknown,
  events: ReadonlyArray<Envelope>,
  commands: ReadonlyArray<Envelope>
): string | undefined => {
  if (state !== undefined) {
    const problem = StorableText.problemIn(state)
    if (problem !== undefined) return `the new state at ${problem}`
  }
  for (const list of [events, commands]) {
    for (const produced of list) {
      const keyProblem = StorableText.problemOf(produced.key)
      const problem =
        keyProblem === undefined
          ? StorableText.problemIn(produced.payload, ["payload"])
          : `key: ${keyProblem}`
      if (problem !== undefined) return `${produced.type} ${produced.messageId} at ${problem}`
    }
  }
  return undefined
}

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
