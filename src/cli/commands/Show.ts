import { Args, Command, Options } from "@effect/cli"
import { Clock, Effect } from "effect"
import * as FlowGraph from "../../operate/FlowGraph.js"
import * as History from "../../operate/History.js"
import * as Lanes from "../../operate/Lanes.js"
import * as SequenceDiagram from "../../operate/SequenceDiagram.js"
import * as Deployment from "../Deployment.js"
import * as Output from "../Output.js"

/** `mailroom show <message-id>`: a message's whole causal history, or its flow as swimlanes or a sequence diagram. */
export const command = (defaults: Deployment.Defaults) =>
  Command.make(
    "show",
    {
      ...Deployment.options,
      id: Args.text({ name: "message-id" }).pipe(
        Args.withDescription("A message id (a flow's id is its first message's id).")
      ),
      lanes: Options.boolean("lanes").pipe(
        Options.withDescription(
          "Draw the message's whole flow as swimlanes: a lane per host, messages in causal order."
        )
      ),
      mermaid: Options.boolean("mermaid").pipe(
        Options.withDescription("Print the message's whole flow as a Mermaid sequence diagram.")
      )
    },
    (flags) =>
      Deployment.withDeployment(flags, defaults, ({ journal, topology }) =>
        Effect.gen(function* () {
          const correlationId = yield* journal.locate(flags.id)
          if (correlationId === undefined)
            return yield* new Output.Failed({
              message: `no host recorded or holds message ${JSON.stringify(flags.id)}: unknown id, or its records expired (inbox marks are kept for MAILROOM_INBOX_RETENTION)`
            })
          const graph = FlowGraph.make(correlationId, yield* journal.flow(correlationId), topology.routing)
          const history = History.make(graph, flags.id)
          if (history === undefined)
            return yield* new Output.Failed({
              message: `message ${flags.id} is not in its flow ${correlationId}`
            })
          const now = yield* Clock.currentTimeMillis
          if (flags.mermaid) return yield* Output.print(SequenceDiagram.render(graph))
          if (flags.lanes) return yield* Output.emit(flags.json, graph, () => Lanes.render(graph, { now }))
          yield* Output.emit(flags.json, history, () => History.render(history, journal.locations))
        })
      )
  ).pipe(
    Command.withDescription(
      "The whole causal history of a message: what caused it, where it was stored, each delivery (failed attempts and the last error, parking), its handling, what it produced and each produced message's fate. --lanes draws its flow as swimlanes, --mermaid as a sequence diagram."
    )
  )
