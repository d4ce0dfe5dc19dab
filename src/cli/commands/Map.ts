import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import * as ContextMap from "../../operate/ContextMap.js"
import * as Deployment from "../Deployment.js"
import * as Flags from "../Flags.js"
import * as Output from "../Output.js"

/** `mailroom map`: the context map drawn from the hosts' declarations. */
export const command = (defaults: Deployment.Defaults) =>
  Command.make(
    "map",
    {
      topology: Deployment.options.topology,
      json: Deployment.options.json,
      format: Flags.oneOf("format", ["both", "text", "mermaid", "markdown"] as const).pipe(
        Options.withDefault("both" as const),
        Options.withDescription(
          "text, mermaid, both (default: the text, then the Mermaid flowchart) or markdown (both in fenced blocks, as the README embeds it)."
        )
      )
    },
    (flags) =>
      Effect.gen(function* () {
        const topology = yield* Deployment.topology(flags, defaults)
        const map = ContextMap.make(topology.hosts)
        yield* Output.emit(flags.json, map, () =>
          flags.format === "text"
            ? ContextMap.text(map)
            : flags.format === "mermaid"
              ? ContextMap.mermaid(map)
              : flags.format === "markdown"
                ? ContextMap.markdown(map)
                : `${ContextMap.text(map)}\n\n${ContextMap.mermaid(map)}`
        )
      })
  ).pipe(
    Command.withDescription(
      "The context map, drawn from the hosts' declarations (what each consumes, publishes and sends): commands (sent to one context) and events (published), and what each context's commit holds together. No database needed."
    )
  )
