import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as Replay from "../../commit/Replay.js"
import * as Deployment from "../Deployment.js"
import * as Names from "../internal/names.js"
import * as Output from "../Output.js"
import * as Stdio from "../Stdio.js"

/** `mailroom replay --verify`: per host and key, does the state its audit log rebuilds equal the stored one? */
export const command = (defaults: Deployment.Defaults) =>
  Command.make(
    "replay",
    {
      ...Deployment.options,
      verify: Options.boolean("verify").pipe(
        Options.withDescription(
          "Replay each key's audit log through its host's decide and compare the result with the stored state (required)."
        )
      ),
      host: Options.text("host").pipe(
        Options.withPseudoName("NAME"),
        Options.optional,
        Options.withDescription("Only this host (default: every host).")
      ),
      key: Options.text("key").pipe(
        Options.withPseudoName("KEY"),
        Options.repeated,
        Options.withDescription(
          "Only this key (repeat for more; default: every key with a state or an audit entry)."
        )
      )
    },
    (flags) =>
      Effect.gen(function* () {
        if (!flags.verify)
          return yield* new Output.BadInput({
            message: "replay needs --verify: mailroom replay --verify [--host NAME] [--key KEY]"
          })
        const found = yield* Deployment.topology(flags, defaults)
        const names = found.hosts.map((host) => host.name)
        const only = Option.getOrUndefined(flags.host)
        if (only !== undefined && !names.includes(only))
          return yield* new Output.BadInput({
            message: `unknown host ${JSON.stringify(only)}${Names.didYouMean(names, only)} (hosts: ${names.join(", ")})`
          })
        yield* Deployment.withDeployment(flags, defaults, ({ journal }) =>
          Effect.gen(function* () {
            const keys = flags.key.length === 0 ? undefined : flags.key
            const hosts = found.hosts.filter((host) => only === undefined || host.name === only)
            const reports = (yield* Effect.forEach(hosts, (definition) =>
              Effect.map(journal.replayInputs(definition.name, keys), (inputs) =>
                Replay.compare(definition, inputs.audit, inputs.stored)
              )
            )).flat()
            const verdict = (r: Replay.KeyReport) =>
              r.problem === undefined && r.differences.length === 0 ? "matches" : "differs"
            const differing = reports.filter((r) => verdict(r) === "differs")
            yield* Output.emit(
              flags.json,
              { matches: differing.length === 0, keys: reports.map((r) => ({ ...r, verdict: verdict(r) })) },
              () =>
                [
                  Output.table(
                    ["host", "key", "entries", "verdict", "differences"],
                    reports.map((r) => [
                      r.host,
                      r.key,
                      r.entries,
                      verdict(r),
                      r.problem ??
                        r.differences
                          .map(
                            (d) =>
                              `${d.path === "" ? "(whole state)" : d.path}: stored ${JSON.stringify(d.stored)}, replayed ${JSON.stringify(d.replayed)}`
                          )
                          .join("; ")
                    ]),
                    { empty: "(no keys)", max: 120 }
                  ),
                  "",
                  differing.length === 0
                    ? `${plural(reports.length)} checked: every stored state equals its replayed audit log`
                    : `${differing.length} of ${plural(reports.length)} differ from their replayed audit log`
                ].join("\n")
            )
            if (differing.length > 0) yield* Stdio.exit(1)
          })
        )
      })
  ).pipe(
    Command.withDescription(
      `With --verify: replays each key's audit log through its host's decide (from an empty state) and compares the result with the stored state, field by field (at most ${Replay.maxDifferences} differences per key). Prints per host and key "matches" or "differs" with the differing fields. On PostgreSQL it reads each host's own schema only; meant for a quiet deployment (a key handled between the two reads may differ for that reason alone). Exit status 0 when every key matches, 1 when any differs, 2 for bad usage (no --verify, an unknown host).`
    )
  )

// internal

const plural = (n: number) => `${n} ${n === 1 ? "key" : "keys"}`
