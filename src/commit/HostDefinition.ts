import { Either, ParseResult, Schema, type SchemaAST } from "effect"
import type * as Decision from "./Decision.js"
import type * as Versioned from "./Versioned.js"

/** A message in its wire form: type name, schema version and JSON-safe payload. */
export interface WireMessage {
  readonly type: string
  readonly version: number
  readonly payload: unknown
}

/** A reason a message could not be decoded, naming the field and the problem. */
export interface DecodeFailure {
  readonly message: string
}

/**
 * A bounded context declared as data: what it consumes, what it publishes and sends, how it decides.
 * The runtime derives routing, persistence and supervision from this declaration.
 */
export interface HostDefinition<S, In, Ev, Cmd, E extends DecodeFailure = DecodeFailure> {
  /** Unique name of the bounded context (also its table/schema prefix in Postgres). */
  readonly name: string
  /** JSON codec of the per-key state, used by durable boundaries and replay. */
  readonly state: Schema.Schema<S, any>
  /** Message types this host accepts: its own commands and the events and commands it subscribes to. */
  readonly consumes: ReadonlyArray<string>
  /** Event types this host publishes (delivered to every host that consumes them). */
  readonly publishes: ReadonlyArray<string>
  /** Command types this host sends (delivered to the one host that consumes them). */
  readonly sends: ReadonlyArray<string>
  /**
   * Its own inbound types it schedules for itself (a deadline, a reminder): not from outside, so the context map
   * draws them as timers, not as front-door input. None when absent.
   */
  readonly schedules?: ReadonlyArray<string>
  /**
   * What one commit of this host holds together, in the domain's words (e.g. "one game: every nation's position and
   * pending move"); shown on the context map. Nothing wider is ever atomic.
   */
  readonly atomicity?: string
  /** Decodes an inbound wire message; untrusted input is rejected here with a typed reason. */
  decode(message: WireMessage): Either.Either<In, E>
  /** Encodes a message this host sends, publishes or accepts at its front door to its wire form. */
  encode(message: In | Ev | Cmd): WireMessage
  /** The aggregate key of an inbound message (all messages of one key are handled in order). */
  keyOf(message: In): string
  /** The aggregate key of an outbound message; defaults to the key of the message that caused it. */
  keyOfOutbound?(message: Ev | Cmd): string
  /** The pure domain decision; it may schedule its own inbound messages, events or commands for later. */
  decide(
    state: S | undefined,
    message: In,
    context: Decision.DecideContext
  ): Decision.Decision<S, Ev, Cmd, In | Ev | Cmd>
}

/** Any host definition, for registries that hold several. */
export type AnyHostDefinition = HostDefinition<any, any, any, any, any>

/** Declares a host; a typed identity that checks the declaration's consistency. */
export const make = <S, In, Ev, Cmd, E extends DecodeFailure = DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>
): HostDefinition<S, In, Ev, Cmd, E> => {
  const overlap = definition.publishes.filter((type) => definition.sends.includes(type))
  if (overlap.length > 0) {
    throw new Error(`Host ${definition.name}: ${overlap.join(", ")} declared both as event and command`)
  }
  const foreign = (definition.schedules ?? []).filter((type) => !definition.consumes.includes(type))
  if (foreign.length > 0) {
    throw new Error(
      `Host ${definition.name}: schedules ${foreign.join(", ")} for itself but does not consume it`
    )
  }
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(definition.name)) {
    throw new Error(`Host name "${definition.name}" must be lower-case letters, digits or _ (max 31)`)
  }
  return definition
}

/** A tagged message schema: its `_tag` is the message type name on the wire. */
export type TaggedSchema = Schema.Schema<{ readonly _tag: string }, any>

/**
 * Declares a host from Schemas of tagged messages: type names, routing lists and the wire codec (errors naming the
 * field) are derived, so a new bounded context is its schemas plus `decide`. Every message type is version 1 unless
 * `versions` gives its current version and the upcasts that read its older ones (`Versioned.message`, or a contracts
 * registry's definition); `state` may be a `Versioned.state` codec, so stored states carry their version too. A message
 * whose encoded form is its type (no transformation in its schema) is sent as it is, without encoding; the receiving
 * host's decoder checks it like any input.
 */
export const fromSchemas = <
  S,
  SI,
  In extends { readonly _tag: string },
  InI,
  Ev extends { readonly _tag: string } = never,
  EvI = never,
  Cmd extends { readonly _tag: string } = never,
  CmdI = never
>(options: {
  readonly name: string
  readonly state: Schema.Schema<S, SI>
  readonly inbound: Schema.Schema<In, InI>
  readonly events?: Schema.Schema<Ev, EvI>
  readonly commands?: Schema.Schema<Cmd, CmdI>
  /** Message types written at a version above 1, each with the upcasts of its older versions. */
  readonly versions?: ReadonlyArray<Versioned.MessageVersions<any>>
  readonly keyOf: (message: In) => string
  readonly keyOfOutbound?: (message: Ev | Cmd) => string
  readonly atomicity?: string
  readonly decide: (
    state: S | undefined,
    message: In,
    context: Decision.DecideContext
  ) => Decision.Decision<S, Ev, Cmd, In | Ev | Cmd>
}): HostDefinition<S, In, Ev, Cmd> => {
  const consumes = tagsOf(options.inbound)
  const publishes = options.events === undefined ? [] : tagsOf(options.events)
  const sends = options.commands === undefined ? [] : tagsOf(options.commands)
  const decodeInbound = Schema.decodeUnknownEither(options.inbound)
  const validateInbound = Schema.validateEither(options.inbound)
  const all = Schema.Union(
    options.inbound as unknown as TaggedSchema,
    ...(options.events === undefined ? [] : [options.events as unknown as TaggedSchema]),
    ...(options.commands === undefined ? [] : [options.commands as unknown as TaggedSchema])
  )
  const encodeAny = Schema.encodeSync(all)
  const versions = new Map<string, Versioned.MessageVersions<any>>()
  for (const entry of options.versions ?? []) {
    const [type] = tagsOf(entry.schema)
    if (type === undefined || versions.has(type))
      throw new Error(`${options.name}: versions of ${type} given twice`)
    versions.set(type, entry)
  }
  const versionOf = (type: string) => versions.get(type)?.version ?? 1
  const asItself = new Set(
    [options.inbound, options.events, options.commands].flatMap((schema) =>
      schema === undefined ? [] : tagsEncodedAsThemselves(schema.ast)
    )
  )
  return make<S, In, Ev, Cmd>({
    name: options.name,
    state: options.state,
    consumes,
    publishes,
    sends,
    decode: (message) => {
      if (!consumes.includes(message.type)) {
        return Either.left({
          message: `${options.name} does not accept ${message.type} (it accepts ${consumes.join(", ")})`
        })
      }
      const payload =
        typeof message.payload === "object" &&
        message.payload !== null &&
        (message.payload as { readonly _tag?: unknown })._tag !== message.type
          ? { _tag: message.type, ...message.payload }
          : message.payload
      const current = versionOf(message.type)
      const upcast = versions.get(message.type)?.upcasts.find((u) => u.version === message.version)
      if (message.version !== current && upcast === undefined) {
        const readable = [current, ...(versions.get(message.type)?.upcasts ?? []).map((u) => u.version)]
          .sort((a, b) => a - b)
          .map((v) => `v${v}`)
          .join(", ")
        return Either.left({
          message: `${message.type} v${message.version} is not known; this release reads ${readable}`
        })
      }
      // An upcast's result is checked against today's Schema too, so a lift never lets an invalid message in.
      const decoded: Either.Either<In, ParseResult.ParseError> =
        upcast === undefined
          ? decodeInbound(payload)
          : Either.flatMap(upcast.decode(payload), (lifted) => validateInbound(lifted))
      return Either.mapLeft(decoded, (error) => ({
        message: `Invalid ${message.type} message${message.version === current ? "" : ` (v${message.version})`}: ${ParseResult.ArrayFormatter.formatErrorSync(
          error
        )
          .map((issue) => `${issue.path.join(".") || "(message)"}: ${issue.message}`)
          .join("; ")}`
      }))
    },
    encode: (message) => ({
      type: message._tag,
      version: versionOf(message._tag),
      payload: asItself.has(message._tag) ? message : encodeAny(message)
    }),
    keyOf: options.keyOf,
    ...(options.keyOfOutbound === undefined ? {} : { keyOfOutbound: options.keyOfOutbound }),
    ...(options.atomicity === undefined ? {} : { atomicity: options.atomicity }),
    decide: options.decide
  })
}

// internal

const tagsOf = (schema: Schema.Schema.Any): Array<string> => {
  const tags: Array<string> = []
  const visit = (ast: SchemaAST.AST): void => {
    switch (ast._tag) {
      case "Union":
        for (const member of ast.types) visit(member)
        return
      case "Transformation":
        visit(ast.to)
        return
      case "Refinement":
        visit(ast.from)
        return
      case "TypeLiteral": {
        const tag = ast.propertySignatures.find((p) => p.name === "_tag")
        if (tag !== undefined && tag.type._tag === "Literal" && typeof tag.type.literal === "string") {
          tags.push(tag.type.literal)
          return
        }
      }
    }
    throw new Error("message schemas must be tagged structs (Schema.TaggedStruct) or unions of them")
  }
  visit(Schema.typeSchema(schema).ast)
  return tags
}

/** The tags of the members of a message schema whose encoded form is their type (see `encodesAsItself`). */
const tagsEncodedAsThemselves = (ast: SchemaAST.AST): Array<string> =>
  ast._tag === "Union"
    ? ast.types.flatMap(tagsEncodedAsThemselves)
    : encodesAsItself(ast)
      ? tagsOf(Schema.make(ast))
      : []

/**
 * Whether encoding a value of this schema gives the value back unchanged: nothing in it transforms (refinements only
 * check, and the receiving end's decoder checks them again). Declarations and recursive schemas count as transforming.
 */
const encodesAsItself = (ast: SchemaAST.AST): boolean => {
  switch (ast._tag) {
    case "Transformation":
    case "Declaration":
    case "Suspend":
      return false
    case "Refinement":
      return encodesAsItself(ast.from)
    case "TupleType":
      return (
        ast.elements.every((element) => encodesAsItself(element.type)) &&
        ast.rest.every((rest) => encodesAsItself(rest.type))
      )
    case "TypeLiteral":
      return (
        ast.propertySignatures.every((property) => encodesAsItself(property.type)) &&
        ast.indexSignatures.every((index) => encodesAsItself(index.type))
      )
    case "Union":
      return ast.types.every(encodesAsItself)
    default:
      return true
  }
}
