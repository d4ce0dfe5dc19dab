import { Schema, SchemaAST } from "effect"

/**
 * Text every boundary can store. PostgreSQL's `jsonb` and `text` refuse a NUL character (U+0000) and JSON refuses
 * a lone UTF-16 surrogate (U+D800–U+DFFF without its pair), so a message or state holding one would commit in memory
 * and fail on PostgreSQL. Both boundaries refuse it the same way, before anything is stored (see Host).
 */

/** A string every boundary can store (no NUL character, no lone surrogate); the error says what is wrong. */
export const StorableString = Schema.String.pipe(
  Schema.filter((text) => problemOf(text)),
  Schema.annotations({
    identifier: "StorableString",
    description: "text without NUL characters or lone surrogates"
  })
)

/**
 * The first string (value or field name) of a JSON-like value that no boundary can store, as `path: problem`; undefined
 * when every string is fine. `path` names where the value sits (`note`, `nations.2`); empty for the value itself.
 */
export const problemIn = (value: unknown, path: ReadonlyArray<string | number> = []): string | undefined =>
  // The common case (nothing wrong) walks without building paths; only a value with a problem is walked again.
  anySuspect(value) ? locate(value, path) : undefined

/** What is wrong with one string, or undefined when every boundary can store it. */
export const problemOf = (text: string): string | undefined => {
  if (!suspect.test(text)) return undefined
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 0) return "contains a NUL character (U+0000), which cannot be stored"
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++
        continue
      }
      return `contains a lone surrogate (U+${hex(code)}), which is not valid Unicode`
    }
    if (code >= 0xdc00 && code <= 0xdfff)
      return `contains a lone surrogate (U+${hex(code)}), which is not valid Unicode`
  }
  return undefined
}

/**
 * True when no value of the schema can hold text a boundary cannot store: it has no string-typed part (numbers, booleans,
 * literals and structs of them), and its field names and string literals are storable. Such values need no check.
 */
export const holdsNoText = (schema: Schema.Schema.Any): boolean => textFree(SchemaAST.typeAST(schema.ast))

// internal

const textFree = (ast: SchemaAST.AST): boolean => {
  switch (ast._tag) {
    case "Literal":
      return typeof ast.literal !== "string" || problemOf(ast.literal) === undefined
    case "Enums":
      return ast.enums.every(([, value]) => typeof value !== "string" || problemOf(value) === undefined)
    case "UndefinedKeyword":
    case "VoidKeyword":
    case "NeverKeyword":
    case "NumberKeyword":
    case "BooleanKeyword":
    case "BigIntKeyword":
    case "SymbolKeyword":
    case "UniqueSymbol":
      return true
    case "Refinement":
      return textFree(ast.from)
    case "TupleType":
      return (
        ast.elements.every((element) => textFree(element.type)) &&
        ast.rest.every((rest) => textFree(rest.type))
      )
    case "TypeLiteral":
      // Keys of an index signature are data, so they may hold anything.
      return (
        ast.indexSignatures.length === 0 &&
        ast.propertySignatures.every(
          (property) =>
            (typeof property.name !== "string" || problemOf(property.name) === undefined) &&
            textFree(property.type)
        )
      )
    case "Union":
      return ast.types.every(textFree)
    default:
      // Strings, template literals, unknown/any/object, declarations (Date, Map, classes), recursion.
      return false
  }
}

// One character class: the common case (no NUL, no surrogate at all) costs a single scan per string.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point
const suspect = /[\u0000\ud800-\udfff]/

/**
 * Whether any string (value or field name) may hold a problem: one regular-expression test per string, no
 * allocation but the key lists of objects. Surrogate pairs (ordinary text like emoji) pass it too; `locate` decides.
 */
const anySuspect = (value: unknown): boolean => {
  if (typeof value === "string") return suspect.test(value)
  if (typeof value !== "object" || value === null) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (anySuspect(value[i])) return true
    return false
  }
  if (value instanceof Map || value instanceof Set) {
    for (const entry of value) if (anySuspect(entry)) return true
    return false
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (suspect.test(key) || anySuspect((value as Record<string, unknown>)[key])) return true
  }
  return false
}

/** The path and problem of the first string no boundary can store (see `problemIn`). */
const locate = (value: unknown, path: ReadonlyArray<string | number>): string | undefined => {
  if (typeof value === "string") {
    const problem = problemOf(value)
    return problem === undefined ? undefined : `${describePath(path)}: ${problem}`
  }
  if (typeof value !== "object" || value === null) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = locate(value[i], [...path, i])
      if (found !== undefined) return found
    }
    return undefined
  }
  if (value instanceof Map) return locate([...value.entries()], path)
  if (value instanceof Set) return locate([...value.values()], path)
  for (const key of Object.keys(value)) {
    const keyProblem = problemOf(key)
    if (keyProblem !== undefined) return `${describePath([...path, key])}: the field name ${keyProblem}`
    const found = locate((value as Record<string, unknown>)[key], [...path, key])
    if (found !== undefined) return found
  }
  return undefined
}

const hex = (code: number) => code.toString(16).toUpperCase().padStart(4, "0")

// Field names as the schema decoder writes them (`nations.2.name`); a name that is not a plain word is quoted.
const describePath = (path: ReadonlyArray<string | number>) =>
  path.length === 0
    ? "(value)"
    : path
        .map((segment) =>
          typeof segment === "number" || /^[A-Za-z_$][\w$]*$/.test(segment)
            ? String(segment)
            : JSON.stringify(segment)
        )
        .join(".")
