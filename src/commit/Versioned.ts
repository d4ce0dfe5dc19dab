import { Either, ParseResult, Schema } from "effect"

/** Reads something written at an older version (a message payload, a stored state) and lifts it to the current one. */
export interface Upcast<A> {
  readonly version: number
  readonly decode: (encoded: unknown) => Either.Either<A, ParseResult.ParseError>
}

/**
 * A message type with its current version and how older versions are read; the same shape as the contracts
 * registry's definitions, so a definition from there can be given to `HostDefinition.fromSchemas` as it is.
 */
export interface MessageVersions<A extends { readonly _tag: string }> {
  readonly version: number
  readonly schema: Schema.Schema<A, any>
  readonly upcasts: ReadonlyArray<Upcast<A>>
}

/** The field of a stored state that names the version of its shape; a state stored without it is version 1. */
export const versionField = "schemaVersion"

/**
 * Reads version `version` with that version's own Schema, then lifts it to the current shape. When v3 comes, keep
 * this entry and compose: `lift: (old) => v2ToV3(v1ToV2(old))`.
 */
export const upcast = <Old, OldEncoded, A>(
  version: number,
  schema: Schema.Schema<Old, OldEncoded>,
  lift: (old: Old) => A
): Upcast<A> => ({
  version,
  decode: (encoded) => Either.map(Schema.decodeUnknownEither(schema)(encoded), lift)
})

/** A message Schema at a version above 1, with the upcasts that read its older versions. */
export const message = <A extends { readonly _tag: string }, I>(
  schema: Schema.Schema<A, I>,
  options: { readonly version: number; readonly upcasts?: ReadonlyArray<Upcast<A>> }
): MessageVersions<A> => ({ version: options.version, schema, upcasts: options.upcasts ?? [] })

/**
 * A versioned state codec: the stored JSON carries `schemaVersion` (the current `version`); a state stored at an older
 * version (or without the field: version 1) is read with its upcast and lifted, then checked against today's Schema.
 * A state stored by a newer release is refused, naming the versions this release reads.
 */
export const state = <A, I>(
  schema: Schema.Schema<A, I>,
  options: { readonly version: number; readonly upcasts?: ReadonlyArray<Upcast<A>> }
): Schema.Schema<A, unknown> => {
  const { version } = options
  const upcasts = options.upcasts ?? []
  const current = Schema.typeSchema(schema)
  const validate = ParseResult.validateEither(current)
  const readable = [version, ...upcasts.map((u) => u.version)]
    .sort((a, b) => a - b)
    .map((v) => `v${v}`)
    .join(", ")
  return Schema.transformOrFail(Schema.Unknown, current, {
    strict: true,
    decode: (stored, parseOptions, ast) => {
      if (typeof stored !== "object" || stored === null || Array.isArray(stored)) {
        return ParseResult.decodeUnknown(schema)(stored, parseOptions)
      }
      const { [versionField]: tag, ...rest } = stored as Record<string, unknown>
      const at = tag === undefined ? 1 : tag
      if (at === version) return ParseResult.decodeUnknown(schema)(rest, parseOptions)
      const upcast = upcasts.find((u) => u.version === at)
      if (upcast === undefined) {
        return ParseResult.fail(
          new ParseResult.Type(
            ast,
            stored,
            `a state stored at ${typeof at === "number" ? `v${at}` : JSON.stringify(at)}; this release reads ${readable}`
          )
        )
      }
      return Either.flatMap(
        Either.mapLeft(upcast.decode(rest), (error) => error.issue),
        (lifted) => validate(lifted, parseOptions)
      )
    },
    encode: (value, parseOptions) =>
      ParseResult.map(ParseResult.encodeUnknown(schema)(value, parseOptions), (encoded) => ({
        [versionField]: version,
        ...(encoded as object)
      }))
  })
}
