import type * as FlowGraph from "./FlowGraph.js"
import * as History from "./History.js"
import * as Lanes from "./Lanes.js"

/**
 * A flow as a Mermaid sequence diagram: a participant per host, commands as solid arrows, events as dashed ones,
 * timers as open arrows, a parked delivery as a cross, notes for retries, waits, timers and events nobody subscribes to.
 */
export const render = (graph: FlowGraph.FlowGraph): string => {
  const lines = ["sequenceDiagram"]
  for (const lane of Lanes.lanesOf(graph)) lines.push(`  participant ${lane}`)
  for (const step of graph.steps) {
    const e = step.envelope
    const label = clean(`${e.type} ${e.messageId} +${Math.max(0, e.occurredAt - graph.startedAt)}ms`)
    if (step.deliveries.length === 0) {
      lines.push(`  Note over ${step.producer}: ${label} (${step.kind}, no subscriber)`)
      continue
    }
    for (const d of step.deliveries) {
      const parked = d.fate.startsWith("parked")
      const arrow = parked
        ? step.kind === "event"
          ? "--x"
          : "-x"
        : step.kind === "event"
          ? "-->>"
          : step.kind === "timer"
            ? "-)"
            : "->>"
      lines.push(`  ${step.producer}${arrow}${d.host}: ${label}`)
      if (d.attempts > 0 || d.fate !== "handled")
        lines.push(`  Note right of ${d.host}: ${clean(History.shortFate(d))}`)
    }
  }
  return lines.join("\n")
}

// internal

/** Text Mermaid reads as plain words in a message or note (it gives `;` and `#` meanings of their own). */
const clean = (text: string) =>
  text
    .replace(/[;#\n\r]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 160)
