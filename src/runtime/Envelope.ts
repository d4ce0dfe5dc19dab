import { Schema } from "effect"

/** A message id: unique per message, stable across redeliveries. */
export const MessageId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200), Schema.brand("MessageId"))
/** A message id: unique per message, stable across redeliveries. */
export type MessageId = typeof MessageId.Type

/** The wire form of every message: who it is for (key), what it is (type, version), why it exists (causation, correlation). */
export const Envelope = Schema.Struct({
  messageId: MessageId,
  /** The message that caused this one; a message from outside causes itself. */
  causationId: MessageId,
  /** The flow this message belongs to (the first message's id). */
  correlationId: MessageId,
  /** Aggregate key: all messages of one key are handled one at a time, in order. */
  key: Schema.NonEmptyString,
  /** Message type name as published by its bounded context. */
  type: Schema.NonEmptyString,
  /** Version of the payload schema the producer wrote. */
  version: Schema.Int.pipe(Schema.positive()),
  /** Schema-encoded payload (JSON-safe). */
  payload: Schema.Unknown,
  /** When the message was created, in epoch milliseconds. */
  occurredAt: Schema.Number,
  /** W3C trace context of the producer, so one flow is one trace across hosts. */
  traceparent: Schema.optional(Schema.String)
})

/** The wire form of every message (a plain, JSON-safe object). */
export interface Envelope extends Schema.Schema.Type<typeof Envelope> {}

/** JSON codec for envelopes stored in a database row or sent over a wire. */
export const EnvelopeFromJson = Schema.parseJson(Envelope)

/** A message's content as a codec gives it: type name, version of its payload schema, JSON-safe payload. */
export interface Content {
  readonly type: string
  readonly version: number
  readonly payload: unknown
}

/** The cause, flow and trace a new message continues, when it continues one (else it causes itself, its flow its own). */
export interface Lineage {
  readonly causationId?: MessageId | undefined
  readonly correlationId?: MessageId | undefined
  readonly traceparent?: string | undefined
}

/** The envelope of a new message (from outside, or starting a flow): it causes itself and its flow is its own. */
export const make = (
  messageId: MessageId,
  key: string,
  content: Content,
  occurredAt: number,
  lineage?: Lineage
): Envelope => ({
  messageId,
  causationId: lineage?.causationId ?? messageId,
  correlationId: lineage?.correlationId ?? messageId,
  key,
  type: content.type,
  version: content.version,
  payload: content.payload,
  occurredAt,
  ...(lineage?.traceparent === undefined ? {} : { traceparent: lineage.traceparent })
})

/**
 * The envelope of a message caused by handling `cause`: its id derived from the cause's (by the caller), the cause as
 * its causation, the cause's flow (correlation) and, unless `traceparent` is given, the cause's trace context.
 */
export const causedBy = (
  cause: Envelope,
  messageId: MessageId,
  key: string,
  content: Content,
  occurredAt: number,
  traceparent: string | undefined = cause.traceparent
): Envelope =>
  // Two literals rather than a spread: one object per message, with or without trace context (the hot path).
  traceparent === undefined
    ? {
        messageId,
        causationId: cause.messageId,
        correlationId: cause.correlationId,
        key,
        type: content.type,
        version: content.version,
        payload: content.payload,
        occurredAt
      }
    : {
        messageId,
        causationId: cause.messageId,
        correlationId: cause.correlationId,
        key,
        type: content.type,
        version: content.version,
        payload: content.payload,
        occurredAt,
        traceparent
      }
