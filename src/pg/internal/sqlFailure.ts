import type { SqlError } from "@effect/sql/SqlError"
import { PersistenceError } from "../../commit/CommitBoundary.js"

/**
 * Our error for a failed statement, naming the operation. It is marked `unavailable` when the database could not be
 * reached or could not serve the statement for reasons outside it (connection refused, lost or timed out, server
 * shutting down or out of connections, or the schema not migrated yet): the same statement may succeed later as it is.
 * Anything else the database answered with an error is a refusal of this statement.
 */
export const persistence = (operation: string, error: SqlError | Error): PersistenceError => {
  const unavailable = isUnavailable(error)
  return new PersistenceError({
    operation,
    message: messageOf(error),
    ...(unavailable ? { unavailable } : {})
  })
}

/** True when a failure says the database was out of reach rather than refusing the statement. */
export const isUnavailable = (error: SqlError | Error): boolean => {
  const cause = (error as { readonly cause?: unknown }).cause as
    | { readonly code?: unknown; readonly severity?: unknown }
    | undefined
  // A server's answer carries a severity; a client-side failure (refused, reset, timed out) does not.
  if (typeof cause?.severity !== "string") return true
  const code = typeof cause.code === "string" ? cause.code : ""
  return (
    code.startsWith("08") || // connection exception
    code.startsWith("53") || // insufficient resources (too many connections)
    code.startsWith("57P") || // operator intervention: shutting down, cannot connect now
    code === "3F000" || // schema does not exist (not migrated yet)
    code === "42P01" // table does not exist (not migrated yet)
  )
}

/** The error's message with its cause's, once. */
export const messageOf = (error: SqlError | Error): string => {
  const cause = (error as { cause?: unknown }).cause
  const detail = cause instanceof Error ? cause.message : ""
  return detail === "" || error.message.includes(detail) ? error.message : `${error.message}: ${detail}`
}
