import * as FlowGraph from "./FlowGraph.js"
import * as History from "./History.js"

/**
 * A flow as swimlanes for a terminal: one lane per host (and `outside` when messages came from a front door), one row
 * per message and consumer in causal order, with the time since the flow began, the wait before handling, retries,
 * parking and what is still waiting.
 */
export const render = (graph: FlowGraph.FlowGraph, options: { readonly now?: number } = {}): string => {
  const lanes = lanesOf(graph)
  const width = Math.max(10, ...lanes.map((lane) => lane.length + 2))
  const column = (lane: string) => lanes.indexOf(lane) * width
  const timeWidth = Math.max(6, ...graph.steps.map((s) => offset(graph, s.envelope.occurredAt).length)) + 2
  const lines: Array<string> = []
  const settled = FlowGraph.isSettled(graph)
  lines.push(
    `flow ${graph.correlationId} · ${graph.steps.length} message${graph.steps.length === 1 ? "" : "s"} · ${graph.lastAt - graph.startedAt} ms · ${settled ? "settled" : "not settled"} · began ${History.at(graph.startedAt)}`
  )
  lines.push(
    `${"".padEnd(timeWidth)}${lanes
      .map((lane) => lane.padEnd(width))
      .join("")
      .trimEnd()}`
  )
  const row = (time: string, marks: Array<[number, string]>, label: string) => {
    const cells = Array.from<unknown, string>({ length: lanes.length * width }, (_, i) =>
      i % width === 0 ? "│" : " "
    )
    for (const [at, text] of marks) for (let i = 0; i < text.length; i++) cells[at + i] = text[i]!
    lines.push(
      `${time.padEnd(timeWidth)}${cells
        .join("")
        .trimEnd()
        .padEnd(lanes.length * width)}  ${label}`
    )
  }
  for (const step of graph.steps) {
    const e = step.envelope
    const time = offset(graph, e.occurredAt)
    const from = column(step.producer)
    const name = `${e.type} ${e.messageId}`
    if (step.deliveries.length === 0) {
      row(time, [[from, "○"]], `${name} · ${step.kind}, no subscriber`)
      continue
    }
    for (const d of step.deliveries) {
      const to = column(d.host)
      const end = mark(d)
      const marks: Array<[number, string]> = []
      if (to === from) marks.push([from, end])
      else if (to > from) marks.push([from, `●${"─".repeat(to - from - 2)}▶`], [to, end])
      else marks.push([to, end], [to + 1, `◀${"─".repeat(from - to - 2)}●`])
      const waited =
        d.fate === "handled" || d.fate === "cancelled" || d.fate === "scheduled" || options.now === undefined
          ? ""
          : ` (${Math.max(0, options.now - e.occurredAt)} ms so far)`
      row(
        time,
        marks,
        `${name} · ${step.kind === "input" ? "command" : step.kind} → ${d.host}: ${History.shortFate(d)}${due(step, d)}${waited}`
      )
    }
  }
  lines.push("")
  lines.push(
    "● sent  ■ handled  ⧗ waiting  ◷ scheduled  ⊘ cancelled  ✖ parked  ? not recorded  ○ published, no subscriber"
  )
  return lines.join("\n")
}

/** The lanes of a flow, in the order hosts first appear (`outside` first when present). */
export const lanesOf = (graph: FlowGraph.FlowGraph): ReadonlyArray<string> => {
  const lanes: Array<string> = []
  const add = (lane: string) => {
    if (!lanes.includes(lane)) lanes.push(lane)
  }
  if (graph.steps.some((s) => s.producer === "outside")) add("outside")
  for (const step of graph.steps) {
    add(step.producer)
    for (const d of step.deliveries) add(d.host)
  }
  return lanes
}

// internal

const offset = (graph: FlowGraph.FlowGraph, millis: number) => `+${Math.max(0, millis - graph.startedAt)}ms`

const mark = (d: FlowGraph.Delivery) =>
  d.fate === "handled"
    ? "■"
    : d.fate.startsWith("parked")
      ? "✖"
      : d.fate === "not recorded"
        ? "?"
        : d.fate === "cancelled"
          ? "⊘"
          : d.fate === "scheduled"
            ? "◷"
            : "⧗"

// A timer's due time, after its fate while it has not been handled.
const due = (step: FlowGraph.Step, d: FlowGraph.Delivery) =>
  step.dueAt === null || d.fate === "handled" || d.fate === "cancelled"
    ? ""
    : `, due ${History.at(step.dueAt)}`
