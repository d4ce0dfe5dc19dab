import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as Deployment from "../Deployment.js"
import * as Flags from "../Flags.js"
import * as Output from "../Output.js"
import * as Stdio from "../Stdio.js"

/** `mailroom status`: per host, backlog, lag, parked and overdue messages, and its timers (scheduled, overdue). */
export const command = (defaults: Deployment.Defaults) =>
  Command.make(
    "status",
    {
      ...Deployment.options,
      overdueAfter: Flags.duration("overdue-after").pipe(
        Options.optional,
        Options.withDescription(
          "A message due this long ago and still not handled counts as overdue (default 30s)."
        )
      )
    },
    (flags) =>
      Deployment.withDeployment(flags, defaults, ({ journal }) =>
        Effect.gen(function* () {
          const overdueAfterMillis = Option.getOrElse(flags.overdueAfter, () => 30_000)
          const hosts = yield* journal.status({ overdueAfterMillis })
          yield* Output.emit(flags.json, { overdueAfterMillis, hosts }, () =>
            [
              Output.table(
                [
                  "host",
                  "backlog",
                  "outbox",
                  "inbox",
                  "lag",
                  "parked",
                  "overdue",
                  "timers scheduled",
                  "timers overdue",
                  "storage"
                ],
                hosts.map((h) => [
                  h.host,
                  h.backlog,
                  h.outboxPending === 0
                    ? 0
                    : `${h.outboxPending} (${Object.entries(h.outboxByDestination)
                        .map(([to, n]) => `${n} → ${to}`)
                        .join(", ")})`,
                  h.inboxPending,
                  Output.age(h.lagMillis),
                  h.parked,
                  h.overdue,
                  h.timersScheduled,
                  h.timersOverdue,
                  h.unreachable === undefined ? h.location : `UNREACHABLE: ${h.unreachable}`
                ]),
                { max: 90 }
              ),
              "",
              `backlog: committed or stored, not yet handled · lag: age of the oldest message waiting in the inbox · overdue: due more than ${Output.age(overdueAfterMillis)} ago and not handled`,
              "timers scheduled: messages the host scheduled for later, not due yet · timers overdue: due and not delivered yet (staying above 0: no process of the host runs its relay)"
            ].join("\n")
          )
          if (hosts.some((h) => h.unreachable !== undefined)) yield* Stdio.exit(1)
        })
      )
  ).pipe(
    Command.withDescription(
      "Per host: backlog (outbox rows not forwarded + inbox rows not handled), lag (age of the oldest waiting inbox row), parked and overdue messages, and the messages it scheduled for later (timers): not due yet, and due but not delivered yet. Exit status 1 when a host's storage cannot be read."
    )
  )
