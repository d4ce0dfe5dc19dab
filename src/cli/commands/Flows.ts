import { Command, Options } from "@effect/cli"
import { Clock, Effect, Option } from "effect"
import * as FlowList from "../../operate/FlowList.js"
import * as Deployment from "../Deployment.js"
import * as Flags from "../Flags.js"
import * as History from "../../operate/History.js"
import * as Output from "../Output.js"

/** `mailroom flows`: the most recent flows, or those stuck for a while. */
export const command = (defaults: Deployment.Defaults) =>
  Command.make(
    "flows",
    {
      ...Deployment.options,
      stuckFor: Flags.duration("stuck-for").pipe(
        Options.optional,
        Options.withDescription(
          "Only flows with a message waiting (in an outbox or inbox) or parked for at least this long, e.g. 30s, 5m."
        )
      ),
      limit: Flags.wholeNumber("limit", 1).pipe(
        Options.withDefault(20),
        Options.withDescription("Most flows listed (default 20).")
      ),
      window: Flags.wholeNumber("window", 1).pipe(
        Options.withDefault(2000),
        Options.withDescription("How many of each host's latest audit entries are read (default 2000).")
      )
    },
    (flags) =>
      Deployment.withDeployment(flags, defaults, ({ journal, topology }) =>
        Effect.gen(function* () {
          const records = yield* journal.recent(flags.window)
          const now = yield* Clock.currentTimeMillis
          const stuckForMillis = Option.getOrUndefined(flags.stuckFor)
          const flows = FlowList.summarize(records, topology.routing, {
            now,
            limit: flags.limit,
            ...(stuckForMillis === undefined ? {} : { stuckForMillis })
          })
          yield* Output.emit(flags.json, { stuckForMillis: stuckForMillis ?? null, flows }, () =>
            Output.table(
              ["flow", "first message", "key", "messages", "hosts", "status", "open for", "last activity"],
              flows.map((f) => [
                f.correlationId,
                f.firstType,
                f.key,
                f.messages,
                f.hosts.join(", "),
                f.status === "settled" ? "settled" : `${f.status} (${f.waiting} waiting, ${f.parked} parked)`,
                f.openSince === null ? "" : Output.age(now - f.openSince),
                History.at(f.lastAt)
              ]),
              {
                empty:
                  stuckForMillis === undefined
                    ? "no flow recorded"
                    : `no flow has waited ${Output.age(stuckForMillis)} or more`
              }
            )
          )
        })
      )
  ).pipe(
    Command.withDescription(
      "Recent flows (a flow is every message caused by one message from outside, under its correlation id): most recent first, with how many messages, which hosts, and what still waits or is parked. `show ID --lanes` draws one."
    )
  )
