import { Command, Options } from "@effect/cli"
import { Clock, Effect } from "effect"
import * as Deployment from "../Deployment.js"
import * as Flags from "../Flags.js"
import * as Output from "../Output.js"

/** `mailroom outbox` and `mailroom inbox`: per host, how many wait, then the oldest rows. */
export const command = (box: "outbox" | "inbox", defaults: Deployment.Defaults) =>
  Command.make(
    box,
    {
      ...Deployment.options,
      limit: Flags.wholeNumber("limit", 1).pipe(
        Options.withDefault(20),
        Options.withDescription("Most rows listed per host (default 20).")
      )
    },
    (flags) =>
      Deployment.withDeployment(flags, defaults, ({ journal }) =>
        Effect.gen(function* () {
          const hosts = yield* journal.status({ overdueAfterMillis: 30_000 })
          const rows = (yield* journal.pending(flags.limit)).filter((row) => row.box === box)
          const now = yield* Clock.currentTimeMillis
          const counts = hosts.map((h) =>
            box === "outbox"
              ? { host: h.host, pending: h.outboxPending, byDestination: h.outboxByDestination }
              : { host: h.host, pending: h.inboxPending, lagMillis: h.lagMillis }
          )
          const listed = rows.map((row) => ({
            host: row.host,
            messageId: row.envelope.messageId,
            type: row.envelope.type,
            key: row.envelope.key,
            correlationId: row.envelope.correlationId,
            peer: row.peer,
            attempts: row.attempts,
            lastError: row.lastError,
            storedAt: row.storedAt,
            dueAt: row.dueAt,
            ageMillis: Math.max(0, now - row.storedAt)
          }))
          yield* Output.emit(flags.json, { box, hosts: counts, limit: flags.limit, rows: listed }, () =>
            [
              counts
                .map((c) =>
                  box === "outbox"
                    ? `${c.host}: ${c.pending} committed, not yet in their consumer's inbox`
                    : `${c.host}: ${c.pending} waiting to be handled${"lagMillis" in c && c.pending > 0 ? ` (oldest ${Output.age(c.lagMillis ?? 0)})` : ""}`
                )
                .join("\n"),
              "",
              Output.table(
                [
                  "host",
                  "message",
                  "type",
                  "key",
                  box === "outbox" ? "to" : "from",
                  "attempts",
                  "age",
                  "last error"
                ],
                listed.map((r) => [
                  r.host,
                  r.messageId,
                  r.type,
                  r.key,
                  r.peer,
                  r.attempts,
                  Output.age(r.ageMillis),
                  r.lastError ?? ""
                ]),
                { empty: `nothing waits in any ${box}` }
              )
            ].join("\n")
          )
        })
      )
  ).pipe(
    Command.withDescription(
      box === "outbox"
        ? "Per host, messages committed but not yet moved into their consumer's inbox, then the oldest of them (destination, failed attempts, last error, age)."
        : "Per host, messages stored in its inbox and not yet handled, then the oldest of them (source, failed attempts, last error, age)."
    )
  )
