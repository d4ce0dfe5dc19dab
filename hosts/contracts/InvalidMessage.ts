import { ParseResult, Schema } from "effect"

/** Untrusted input (a REPL line, an HTTP body, a database row) that is not a message this release understands. */
export class InvalidMessage extends Schema.TaggedError<InvalidMessage>("mailroom/contracts/InvalidMessage")(
  "InvalidMessage",
  {
    /** The message type the input claimed to be (the envelope's `type`). */
    messageType: Schema.String,
    /** Path of the offending field in the payload, like `nation` or `nations[2]`; empty for the whole message. */
    field: Schema.String,
    /** What is wrong, in words a person can act on. */
    problem: Schema.String
  }
) {
  override get message(): string {
    return `Invalid ${this.messageType} message: ${this.field === "" ? "" : `${this.field} `}${this.problem}`
  }
}

/** Builds an `InvalidMessage` naming the first field a Schema decode rejected. */
export const fromParseError = (messageType: string, error: ParseResult.ParseError): InvalidMessage => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return new InvalidMessage({
    messageType,
    field: first === undefined ? "" : formatPath(first.path),
    problem: first?.message ?? "is not valid"
  })
}

/** Formats a Schema issue path the way a person writes it: `nations[2]`, `pending.amount`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (out, key) =>
      typeof key === "number" ? `${out}[${key}]` : out === "" ? String(key) : `${out}.${String(key)}`,
    ""
  )
