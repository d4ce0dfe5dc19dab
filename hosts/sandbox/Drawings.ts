import { Effect } from "effect"
import * as Routing from "../../src/commit/Routing.js"
import * as ContextMap from "../../src/operate/ContextMap.js"
import * as FlowGraph from "../../src/operate/FlowGraph.js"
import type { Journal } from "../../src/operate/Journal.js"
import * as Lanes from "../../src/operate/Lanes.js"
import * as SequenceDiagram from "../../src/operate/SequenceDiagram.js"
import * as ImperialApp from "./ImperialApp.js"
import type * as Result from "./Result.js"
import * as SandboxError from "./SandboxError.js"

/** The sandbox's `map`: the reference application's context map, from the hosts' declarations. */
export const map = (): Result.Result => {
  const drawn = ContextMap.make(ImperialApp.definitions)
  return {
    command: "map",
    contexts: drawn.contexts.map((c) => ({
      name: c.name,
      ...(c.atomicity === undefined ? {} : { atomicity: c.atomicity })
    })),
    links: drawn.links,
    text: ContextMap.text(drawn),
    mermaid: ContextMap.mermaid(drawn)
  }
}

/** The sandbox's `flow <id>`: the flow of a message as swimlanes or a Mermaid sequence diagram. */
export const flow = (journal: Journal["Type"], id: string, format: "lanes" | "mermaid") =>
  Effect.gen(function* () {
    const correlationId = yield* journal.locate(id)
    if (correlationId === undefined)
      return yield* new SandboxError.InvalidArgument({
        message: `no host recorded message "${id}" (message ids are printed when you send, e.g. move gives m-4)`
      })
    const graph = FlowGraph.make(correlationId, yield* journal.flow(correlationId), routing)
    const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    return {
      command: "flow",
      correlationId,
      format,
      steps: graph.steps.map((s) => ({
        messageId: s.envelope.messageId,
        type: s.envelope.type,
        kind: s.kind,
        producer: s.producer,
        depth: s.depth,
        deliveries: s.deliveries.map((d) => ({ host: d.host, fate: d.fate, attempts: d.attempts }))
      })),
      drawing: format === "mermaid" ? SequenceDiagram.render(graph) : Lanes.render(graph, { now })
    } satisfies Result.Result
  })

// internal

const routing = Routing.make(ImperialApp.definitions)
