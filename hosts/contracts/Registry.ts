import { Either, type ParseResult, Schema, SchemaAST } from "effect"
import * as InvalidMessage from "./InvalidMessage.js"

/** Any message: a tagged struct whose `_tag` is its published type name. */
export interface Tagged {
  readonly _tag: string
}

/** Reads a payload written at an older version of a message and lifts it to the current one. */
export interface Upcast<A> {
  readonly version: number
  readonly decode: (payload: unknown) => Either.Either<A, ParseResult.ParseError>
}

/** One published message type: its current version and Schema, and how older versions are read. */
export interface Definition<A extends Tagged> {
  readonly type: A["_tag"]
  readonly version: number
  readonly schema: Schema.Schema<A, any>
  readonly upcasts: ReadonlyArray<Upcast<A>>
}

/** The wire form of a message, ready for an envelope's `type`, `version` and `payload`. */
export interface EncodedMessage {
  readonly type: string
  readonly version: number
  readonly payload: unknown
}

/** Decodes the payload of one message type at one version into a message of the set, or names what is wrong. */
export type Decoder<A> = (
  type: string,
  version: number,
  payload: unknown
) => Either.Either<A, InvalidMessage.InvalidMessage>

/** A set of published message types: decodes untrusted payloads at any known version, encodes at the current one. */
export interface Registry<A extends Tagged> {
  readonly definitions: ReadonlyArray<Definition<A>>
  /** Every type name in the registry. */
  readonly types: ReadonlyArray<A["_tag"]>
  /** The version this release writes for a type. */
  readonly versionOf: (type: A["_tag"]) => number
  readonly decode: Decoder<A>
  /** Encodes a message at its current version; a message that breaks its own Schema is a defect. */
  readonly encode: (message: A) => EncodedMessage
  /** A decoder that also refuses types outside `types` (what one host accepts). */
  readonly narrow: <T extends A["_tag"]>(
    types: ReadonlyArray<T>,
    audience: string
  ) => Decoder<Extract<A, { readonly _tag: T }>>
}

/** The message type of a registry's definitions. */
export type MessageOf<D> = D extends Definition<infer A> ? A : never

/**
 * Reads version `version` of a message with that version's own Schema, then lifts it to the current message.
 * When v3 arrives, keep this entry and compose: `lift: (old) => v2ToV3(v1ToV2(old))`.
 */
export const upcast = <Old, OldEncoded, A>(
  version: number,
  schema: Schema.Schema<Old, OldEncoded>,
  lift: (old: Old) => A
): Upcast<A> => ({
  version,
  decode: (payload) => Either.map(Schema.decodeUnknownEither(schema)(payload), lift)
})

/** Publishes a tagged-struct message; version 1 with no older versions unless told otherwise. */
export const define = <A extends Tagged, I>(
  schema: Schema.Schema<A, I>,
  options?: { readonly version?: number; readonly upcasts?: ReadonlyArray<Upcast<A>> }
): Definition<A> => ({
  type: tagOf(schema) as A["_tag"],
  version: options?.version ?? 1,
  schema,
  upcasts: options?.upcasts ?? []
})

/** Builds a registry; two definitions of one type name are a programming error. */
export const make = <const Defs extends ReadonlyArray<Definition<any>>>(
  definitions: Defs
): Registry<MessageOf<Defs[number]>> => {
  type A = MessageOf<Defs[number]>
  const byType = new Map<string, Definition<A>>()
  for (const definition of definitions) {
    if (byType.has(definition.type)) throw new Error(`Message type ${definition.type} is defined twice`)
    byType.set(definition.type, definition)
  }
  const types = definitions.map((d) => d.type as A["_tag"])

  const decode: Decoder<A> = (type, version, payload) => {
    const definition = byType.get(type)
    if (definition === undefined) {
      return Either.left(
        new InvalidMessage.InvalidMessage({
          messageType: type,
          field: "",
          problem: `unknown message type; known types: ${types.join(", ")}`
        })
      )
    }
    const tagged = withTag(type, payload)
    if (Either.isLeft(tagged)) return Either.left(tagged.left)
    const upcast = definition.upcasts.find((u) => u.version === version)
    // An upcast result is checked against today's Schema too, so a lift can never smuggle in an invalid message.
    const read =
      version === definition.version
        ? Schema.decodeUnknownEither(definition.schema)
        : upcast &&
          ((payload: unknown) =>
            Either.flatMap(upcast.decode(payload), (lifted) =>
              Schema.validateEither(definition.schema)(lifted)
            ))
    if (read === undefined) {
      const readable = [definition.version, ...definition.upcasts.map((u) => u.version)]
        .sort((a, b) => a - b)
        .map((v) => `v${v}`)
        .join(", ")
      return Either.left(
        new InvalidMessage.InvalidMessage({
          messageType: type,
          field: "",
          problem: `${type} v${version} is not known; this release reads ${readable}`
        })
      )
    }
    return Either.mapLeft(read(tagged.right), (error) => InvalidMessage.fromParseError(type, error))
  }

  const encode = (message: A): EncodedMessage => {
    const definition = byType.get(message._tag)
    if (definition === undefined) throw new Error(`Message type ${message._tag} is not in this registry`)
    return {
      type: definition.type,
      version: definition.version,
      payload: Schema.encodeSync(definition.schema)(message)
    }
  }

  const narrow =
    <T extends A["_tag"]>(
      accepted: ReadonlyArray<T>,
      audience: string
    ): Decoder<Extract<A, { readonly _tag: T }>> =>
    (type, version, payload) =>
      (accepted as ReadonlyArray<string>).includes(type)
        ? (decode(type, version, payload) as Either.Either<
            Extract<A, { readonly _tag: T }>,
            InvalidMessage.InvalidMessage
          >)
        : Either.left(
            new InvalidMessage.InvalidMessage({
              messageType: type,
              field: "",
              problem: byType.has(type)
                ? `${audience} does not accept ${type}; it accepts ${accepted.join(", ")}`
                : `unknown message type; ${audience} accepts ${accepted.join(", ")}`
            })
          )

  return {
    definitions: definitions as ReadonlyArray<Definition<A>>,
    types,
    versionOf: (type) => byType.get(type)?.version ?? 0,
    decode,
    encode,
    narrow
  }
}

/** The `_tag` literal of a tagged-struct Schema. */
export const tagOf = (schema: Schema.Schema.Any): string => {
  const tag = SchemaAST.getPropertySignatures(SchemaAST.typeAST(schema.ast)).find((p) => p.name === "_tag")
  if (tag === undefined || !SchemaAST.isLiteral(tag.type) || typeof tag.type.literal !== "string") {
    throw new Error(`Schema ${String(schema.ast)} is not a tagged struct`)
  }
  return tag.type.literal
}

// internal

const describe = (payload: unknown): string =>
  payload === null
    ? "null"
    : payload === undefined
      ? "nothing"
      : Array.isArray(payload)
        ? "an array"
        : `a ${typeof payload}`

/** The payload as an object carrying `_tag` = the envelope's type (the tag in the payload is optional). */
const withTag = (type: string, payload: unknown): Either.Either<object, InvalidMessage.InvalidMessage> => {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return Either.left(
      new InvalidMessage.InvalidMessage({
        messageType: type,
        field: "",
        problem: `payload must be a JSON object; got ${describe(payload)}`
      })
    )
  }
  const tag = (payload as { readonly _tag?: unknown })._tag
  if (tag !== undefined && tag !== type) {
    return Either.left(
      new InvalidMessage.InvalidMessage({
        messageType: type,
        field: "_tag",
        problem: `must be ${JSON.stringify(type)} (the envelope's type) or absent; got ${JSON.stringify(tag)}`
      })
    )
  }
  return Either.right({ ...payload, _tag: type })
}
