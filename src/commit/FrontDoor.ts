import { Clock, Effect, Either, Schema } from "effect"
import * as Envelope from "../runtime/Envelope.js"
import type { AuditEntry, MessageIdReused, MessageNotAccepted, PersistenceError } from "./CommitBoundary.js"
import { CommitBoundary } from "./CommitBoundary.js"
import type { DecodeFailure, HostDefinition, WireMessage } from "./HostDefinition.js"
import * as MessageIds from "./MessageIds.js"
import * as StorableText from "./StorableText.js"
import * as Tracing from "./Tracing.js"

/**
 * A message was refused by a host before anything was stored or any state touched: it could not be decoded, or it
 * holds text no boundary can store (a NUL character, a lone surrogate). The reason names the field and the problem.
 */
export class MessageRejected extends Schema.TaggedError<MessageRejected>()("MessageRejected", {
  host: Schema.String,
  messageId: Schema.String,
  type: Schema.String,
  reason: Schema.String
}) {}

/**
 * Why a front door (`send`, `sendWire`) refused a message: invalid (`MessageRejected`), its id given to another
 * message before (`MessageIdReused`), not accepted by the boundary (`MessageNotAccepted`), or the storage failed
 * (`PersistenceError`).
 */
export type SendError = MessageRejected | MessageIdReused | MessageNotAccepted | PersistenceError

/** Where a message comes from when it enters through a host's front door. */
export interface Origin {
  /** Use this id instead of a fresh one (replaying a duplicate on purpose). */
  readonly messageId?: string
  readonly causationId?: string
  readonly correlationId?: string
}

/**
 * A host's front door and queries, whether its actor runs in this process or elsewhere: messages are handed to the
 * boundary (stored durably on PostgreSQL before the acknowledgment) and handled wherever the host runs.
 */
export interface FrontDoor<S, In, E extends DecodeFailure = DecodeFailure> {
  readonly name: string
  readonly definition: HostDefinition<S, In, any, any, E>
  /**
   * Sends a typed message to this host; returns its envelope once acknowledged (see boundary semantics). Refused
   * with `MessageRejected` when it holds text no boundary can store, and with `MessageIdReused` when its id was given
   * to a different message before (the same message again is acknowledged and changes nothing).
   */
  readonly send: (message: In, origin?: Origin) => Effect.Effect<Envelope.Envelope, SendError>
  /** Sends an untrusted wire message: decoded and validated first, then sent like `send`. */
  readonly sendWire: (message: WireMessage, origin?: Origin) => Effect.Effect<Envelope.Envelope, SendError>
  /** Reads the current state of one key, without going through the mailbox. */
  readonly state: (key: string) => Effect.Effect<S | undefined, PersistenceError>
  /** Keys that have state. */
  readonly keys: Effect.Effect<ReadonlyArray<string>, PersistenceError>
  /** This host's audit log (optionally one key). */
  readonly audit: (key?: string) => Effect.Effect<ReadonlyArray<AuditEntry>, PersistenceError>
}

/** The front door of a host over the boundary of this application. */
export const make = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>
): Effect.Effect<FrontDoor<S, In, E>, never, CommitBoundary | MessageIds.MessageIds> =>
  Effect.gen(function* () {
    const boundary = yield* CommitBoundary
    const ids = yield* MessageIds.MessageIds
    const name = definition.name

    const envelopeFor = (wire: WireMessage, key: string, origin: Origin | undefined) =>
      Effect.gen(function* () {
        const messageId = (origin?.messageId as Envelope.MessageId | undefined) ?? (yield* ids.next)
        const now = yield* Clock.currentTimeMillis
        const traceparent = yield* Tracing.currentTraceparent
        return Envelope.make(messageId, key, wire, now, {
          causationId: origin?.causationId as Envelope.MessageId | undefined,
          correlationId: origin?.correlationId as Envelope.MessageId | undefined,
          traceparent
        })
      })

    // Where messages enter, whichever boundary is below: text no boundary can store is refused before anything is stored,
    // so both boundaries answer alike (PostgreSQL would refuse the row; memory would take it and diverge).
    const sendEnvelope = (envelope: Envelope.Envelope): Effect.Effect<Envelope.Envelope, SendError> => {
      const problem = inputProblem(envelope)
      return problem === undefined
        ? Effect.as(boundary.accept(name, envelope), envelope)
        : Effect.fail(
            new MessageRejected({
              host: name,
              messageId:
                StorableText.problemOf(envelope.messageId) === undefined ? envelope.messageId : "(invalid)",
              type: envelope.type,
              reason: `Invalid ${envelope.type} message: ${problem}`
            })
          )
    }

    const frontDoor: FrontDoor<S, In, E> = {
      name,
      definition,
      send: (message, origin) => {
        const wire = definition.encode(message)
        return Effect.flatMap(envelopeFor(wire, definition.keyOf(message), origin), sendEnvelope)
      },
      sendWire: (wire, origin) => {
        const decoded = definition.decode(wire)
        if (Either.isLeft(decoded)) {
          return Effect.fail(
            new MessageRejected({
              host: name,
              messageId: origin?.messageId ?? "(new)",
              type: wire.type,
              reason: decoded.left.message
            })
          )
        }
        if (!definition.consumes.includes(wire.type)) {
          return Effect.fail(
            new MessageRejected({
              host: name,
              messageId: origin?.messageId ?? "(new)",
              type: wire.type,
              reason: `${name} does not consume ${wire.type} (it consumes ${definition.consumes.join(", ")})`
            })
          )
        }
        return Effect.flatMap(envelopeFor(wire, definition.keyOf(decoded.right), origin), sendEnvelope)
      },
      state: (key) => Effect.map(boundary.read(definition, key), (loaded) => loaded?.state as S | undefined),
      keys: boundary.keys(definition),
      audit: (key) => boundary.audit(name, key)
    }
    return frontDoor
  })

// internal

/** Text in an incoming envelope that no boundary can store: its ids, key, type or payload (field names included). */
const inputProblem = (envelope: Envelope.Envelope): string | undefined =>
  StorableText.problemIn(envelope.payload) ??
  StorableText.problemIn({
    messageId: envelope.messageId,
    causationId: envelope.causationId,
    correlationId: envelope.correlationId,
    key: envelope.key,
    type: envelope.type
  })
