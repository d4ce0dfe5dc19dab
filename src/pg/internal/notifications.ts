import type * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Schedule, Stream } from "effect"
import type { Scope } from "effect"
import type { Wakeup } from "../../commit/ContextStorage.js"

/** The NOTIFY channel of every Mailroom wake-up. */
export const channel = "mailroom"

/** The payload that says new messages wait in a schema's inbox or outbox ("inbox:<schema>", "outbox:<schema>"). */
export const payload = (box: Wakeup["box"], schema: string): string => `${box}:${schema}`

/** The box and schema a payload names, or undefined for a payload of another format. */
export const parse = (text: string): { readonly box: Wakeup["box"]; readonly schema: string } | undefined => {
  const colon = text.indexOf(":")
  const box = text.slice(0, colon)
  return colon > 0 && (box === "inbox" || box === "outbox")
    ? { box, schema: text.slice(colon + 1) }
    : undefined
}

/**
 * Listens on one database for the lifetime of the scope and calls `heard` for each wake-up of a schema it knows.
 * A dead LISTEN connection goes quiet; it is retried, and polling covers the gap meanwhile.
 */
export const listen = (
  client: PgClient.PgClient,
  hostOfSchema: (schema: string) => string | undefined,
  heard: (wakeup: Wakeup) => void
): Effect.Effect<void, never, Scope.Scope> =>
  client.listen(channel).pipe(
    Stream.runForEach((text) =>
      Effect.sync(() => {
        const parsed = parse(text)
        const host = parsed === undefined ? undefined : hostOfSchema(parsed.schema)
        if (parsed !== undefined && host !== undefined) heard({ box: parsed.box, host })
      })
    ),
    Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))),
    Effect.catchAllCause((cause) => Effect.logWarning("LISTEN stopped; polling only", cause)),
    Effect.forkScoped,
    Effect.asVoid
  )
