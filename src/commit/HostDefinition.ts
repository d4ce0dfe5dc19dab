import type { Either, Schema } from "effect"
import type * as Effects from "./Effects.js"

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
  /** JSON codec of the per-key state, used by durable stores and replay. */
  readonly state: Schema.Schema<S, any>
  /** Message types this host accepts: its own commands and the events and commands it subscribes to. */
  readonly consumes: ReadonlyArray<string>
  /** Event types this host publishes (delivered to every host that consumes them). */
  readonly publishes: ReadonlyArray<string>
  /** Command types this host sends (delivered to the one host that consumes them). */
  readonly sends: ReadonlyArray<string>
  /** Decodes an inbound wire message; untrusted input is rejected here with a typed reason. */
  decode(message: WireMessage): Either.Either<In, E>
  /** Encodes an outbound event or command to its wire form. */
  encode(message: Ev | Cmd): WireMessage
  /** The aggregate key of an inbound message (all messages of one key are handled in order). */
  keyOf(message: In): string
  /** The aggregate key of an outbound message; defaults to the key of the message that caused it. */
  keyOfOutbound?(message: Ev | Cmd): string
  /** The pure domain decision. */
  decide(state: S | undefined, message: In, context: Effects.DecideContext): Effects.Effects<S, Ev, Cmd>
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
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(definition.name)) {
    throw new Error(`Host name "${definition.name}" must be lower-case letters, digits or _ (max 31)`)
  }
  return definition
}
