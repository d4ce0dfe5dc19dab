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
