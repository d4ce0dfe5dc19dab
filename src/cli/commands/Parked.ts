import { Args, Command, Options } from "@effect/cli"
import { Clock, Effect, Option } from "effect"
import * as Deployment from "../Deployment.js"
import * as Output from "../Output.js"

/** `mailroom parked`: every message given up on, with why. */
export const parked = (defaults: Deployment.Defaults) =>
  Command.make("parked", Deployment.options, (flags) =>
    Deployment.withDeployment(flags, defaults, ({ journal }) =>
      Effect.gen(function* () {
        const rows = yield* journal.parked
        const now = yield* Clock.currentTimeMillis
        yield* Output.emit(flags.json, { parked: rows }, () =>
          Output.table(
            ["id", "host", "where", "type", "key", "flow", "attempts", "parked for", "reason"],
            rows.map((p) => [
              p.id,
              p.host,
              p.where,
              p.type,
              p.key,
              p.correlationId ?? "",
              p.attempts,
              Output.age(now - p.parkedAt),
              p.reason
            ]),
            { empty: "nothing is parked" }
          )
        )
      })
    )
  ).pipe(
    Command.withDescription(
      "Messages the relay gave up on after its attempts, with their last error (redrive them with `redrive ID`)."
    )
  )

/** `mailroom redrive <id>` or `--all-of TYPE`: puts parked messages back to be delivered again. */
export const redrive = (defaults: Deployment.Defaults) =>
  Command.make(
    "redrive",
    {
      ...Deployment.options,
      id: Args.text({ name: "message-id" }).pipe(
        Args.optional,
        Args.withDescription("The id of a parked message (see `parked`).")
      ),
      allOf: Options.text("all-of").pipe(
        Options.withPseudoName("TYPE"),
        Options.optional,
        Options.withDescription("Redrive every parked message of this type instead.")
      )
    },
    (flags) =>
      Effect.gen(function* () {
        const id = Option.getOrUndefined(flags.id)
        const type = Option.getOrUndefined(flags.allOf)
        if ((id === undefined) === (type === undefined))
          return yield* new Output.BadInput({
            message: "redrive takes a message id or --all-of TYPE (one of the two)"
          })
        return yield* Deployment.withDeployment(flags, defaults, ({ journal, topology }) =>
          Effect.gen(function* () {
            if (id !== undefined) {
              const row = (yield* journal.parked).find((p) => p.id === id || p.messageId === id)
              if (!(yield* journal.redrive(id)))
                return yield* new Output.Failed({
                  message: `nothing is parked under id ${JSON.stringify(id)} (see mailroom parked)`
                })
              yield* Output.emit(
                flags.json,
                { redriven: [row ?? { id }] },
                () =>
                  `redriven ${id}${row === undefined ? "" : ` (${row.type} to ${row.host}, parked after ${row.attempts} attempts)`}: the relay delivers it again at once`
              )
              return
            }
            const known = new Set(topology.hosts.flatMap((h) => [...h.consumes, ...h.publishes, ...h.sends]))
            if (!known.has(type!))
              return yield* new Output.BadInput({
                message: `--all-of ${type}: no host declares that type (types: ${[...known].sort().join(", ")})`
              })
            const rows = (yield* journal.parked).filter((p) => p.type === type)
            const done: Array<(typeof rows)[number]> = []
            for (const [i, row] of rows.entries()) {
              if (yield* journal.redrive(row.id)) done.push(row)
              if (!flags.json && rows.length > 10 && (i + 1) % 10 === 0)
                yield* Output.note(`redriven ${i + 1} of ${rows.length} ...`)
            }
            yield* Output.emit(flags.json, { redriven: done }, () =>
              done.length === 0
                ? `nothing of type ${type} is parked`
                : `redriven ${done.length} parked ${type} message${done.length === 1 ? "" : "s"}: ${done.map((r) => r.id).join(", ")}`
            )
          })
        )
      })
  ).pipe(
    Command.withDescription(
      "Puts a parked message (or every parked message of a type, --all-of TYPE) back: its attempts start again from zero and the relay delivers it at once."
    )
  )
