import { Schema } from "effect"

/** The first word of a line is not a sandbox command. */
export class UnknownCommand extends Schema.TaggedError<UnknownCommand>()("UnknownCommand", {
  message: Schema.String
}) {}

/** A command got too few or too many arguments. */
export class WrongArguments extends Schema.TaggedError<WrongArguments>()("WrongArguments", {
  message: Schema.String
}) {}

/** An option (`--name`) the command does not know, or one missing its value. */
export class UnknownOption extends Schema.TaggedError<UnknownOption>()("UnknownOption", {
  message: Schema.String
}) {}

/** An argument that is not one of Imperial's six nations. */
export class UnknownNation extends Schema.TaggedError<UnknownNation>()("UnknownNation", {
  message: Schema.String
}) {}

/** An argument that is not one of the eight rondel spaces. */
export class UnknownSpace extends Schema.TaggedError<UnknownSpace>()("UnknownSpace", {
  message: Schema.String
}) {}

/** `send` named no running host. */
export class UnknownHost extends Schema.TaggedError<UnknownHost>()("UnknownHost", {
  message: Schema.String
}) {}

/** `send` named a message type that is not in the contracts. */
export class UnknownMessageType extends Schema.TaggedError<UnknownMessageType>()("UnknownMessageType", {
  message: Schema.String
}) {}

/** `send` got a payload that is not JSON. */
export class InvalidJson extends Schema.TaggedError<InvalidJson>()("InvalidJson", {
  message: Schema.String
}) {}

/** An argument of the right kind but the wrong shape (an amount that is not a whole number, a bad duration). */
export class InvalidArgument extends Schema.TaggedError<InvalidArgument>()("InvalidArgument", {
  message: Schema.String
}) {}

/** A command needs a current game and there is none yet. */
export class NoCurrentGame extends Schema.TaggedError<NoCurrentGame>()("NoCurrentGame", {
  message: Schema.String
}) {}

/** No host knows a game with this id. */
export class UnknownGame extends Schema.TaggedError<UnknownGame>()("UnknownGame", {
  message: Schema.String
}) {}

/** Nothing parked has this id. */
export class NotParked extends Schema.TaggedError<NotParked>()("NotParked", {
  message: Schema.String
}) {}

/** The command has no meaning on the boundary in use (outbox and inbox exist only in Postgres mode). */
export class NotAvailable extends Schema.TaggedError<NotAvailable>()("NotAvailable", {
  message: Schema.String
}) {}

/** `settle` (or the wait after a JSON-mode command) gave up with work still queued or in flight. */
export class NotSettled extends Schema.TaggedError<NotSettled>()("NotSettled", {
  message: Schema.String
}) {}

/** Input the sandbox refused before anything was sent: the session continues and nothing changed. */
export type BadInput =
  | UnknownCommand
  | WrongArguments
  | UnknownOption
  | UnknownNation
  | UnknownSpace
  | UnknownHost
  | UnknownMessageType
  | InvalidJson
  | InvalidArgument

/** Every failure the sandbox itself reports (the application's own errors are reported as they come). */
export type SandboxError = BadInput | NoCurrentGame | UnknownGame | NotParked | NotAvailable | NotSettled

/** The `{ tag, message }` a failed command reports, for any error the application or the sandbox raises. */
export const describe = (error: unknown): { readonly tag: string; readonly message: string } => {
  if (typeof error !== "object" || error === null) return { tag: "Error", message: String(error) }
  const fields = error as { readonly _tag?: unknown; readonly reason?: unknown; readonly message?: unknown }
  const tag = typeof fields._tag === "string" ? fields._tag : "Error"
  const message =
    typeof fields.reason === "string" && fields.reason !== ""
      ? fields.reason
      : typeof fields.message === "string" && fields.message !== ""
        ? fields.message
        : JSON.stringify(withoutTag(error))
  return { tag, message }
}

/** Like `describe`, followed by the causes an infrastructure error wraps (a connection refused, a bad password). */
export const describeDeep = (error: unknown): string => {
  const parts: Array<string> = []
  let at: unknown = error
  for (let depth = 0; depth < 5 && typeof at === "object" && at !== null; depth++) {
    const { message } = describe(at)
    if (message !== "" && !parts.includes(message)) parts.push(message)
    at = (at as { readonly cause?: unknown }).cause
  }
  return parts.join(": ")
}

// internal

const withoutTag = (error: object): object => {
  const { _tag: _, ...rest } = error as Record<string, unknown>
  return rest
}
