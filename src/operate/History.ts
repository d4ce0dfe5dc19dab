import type * as FlowGraph from "./FlowGraph.js"

/** The whole causal history of one message: what caused it, its deliveries, what it produced and their fates. */
export interface History {
  readonly messageId: string
  readonly correlationId: string
  /** The message itself. */
  readonly step: FlowGraph.Step
  /** Its causes, from the flow's first message down to its direct cause. */
  readonly causes: ReadonlyArray<FlowGraph.Step>
  /** Everything its handling caused, in causal order (depth relative to the message: 1 = produced by it). */
  readonly produced: ReadonlyArray<FlowGraph.Step>
}

/** The history of a message in its flow's graph, or undefined when the graph does not hold it. */
export const make = (graph: FlowGraph.FlowGraph, messageId: string): History | undefined => {
  const index = graph.steps.findIndex((step) => step.envelope.messageId === messageId)
  if (index < 0) return undefined
  const step = graph.steps[index]!
  const byId = new Map(graph.steps.map((s) => [s.envelope.messageId, s]))
  const causes: Array<FlowGraph.Step> = []
  let cause = byId.get(step.envelope.causationId)
  while (cause !== undefined && cause !== step && !causes.includes(cause)) {
    causes.unshift(cause)
    cause =
      cause.envelope.causationId === cause.envelope.messageId
        ? undefined
        : byId.get(cause.envelope.causationId)
  }
  // Steps are depth first: the subtree of a step is the run after it of deeper steps.
  const produced: Array<FlowGraph.Step> = []
  for (const next of graph.steps.slice(index + 1)) {
    if (next.depth <= step.depth) break
    produced.push({ ...next, depth: next.depth - step.depth })
  }
  return { messageId, correlationId: graph.correlationId, step, causes, produced }
}

/** The history as text for a terminal: cause, where it was stored, each delivery, what it produced and their fates. */
export const render = (history: History, locations: Readonly<Record<string, string>>): string => {
  const { step } = history
  const e = step.envelope
  const lines: Array<string> = []
  lines.push(`${e.type} ${e.messageId}`)
  lines.push(
    `  ${describeKind(step)} · key ${e.key} · flow ${history.correlationId} · occurred ${at(e.occurredAt)}`
  )
  lines.push("")
  lines.push("cause")
  if (history.causes.length === 0) {
    lines.push(
      step.producer === "outside"
        ? "  from outside: stored at a front door, caused by nothing recorded before it"
        : `  produced by ${step.producer}, whose handling of ${e.causationId} is not recorded any more`
    )
  } else {
    for (const cause of history.causes) {
      lines.push(
        `  ${"  ".repeat(cause.depth)}${cause.envelope.type} ${cause.envelope.messageId} (${cause.producer === "outside" ? "from outside" : `by ${cause.producer}`})`
      )
    }
    lines.push(`  ${"  ".repeat(step.depth)}→ this message, produced by ${step.producer}`)
  }
  lines.push("")
  lines.push("stored and delivered")
  if (step.deliveries.length === 0) lines.push("  no host consumes it: published, delivered nowhere")
  for (const d of step.deliveries) {
    const where = locations[d.host] === undefined ? "" : ` (${locations[d.host]})`
    const stored =
      d.storedAt === null
        ? d.fate === "scheduled" || d.fate === "cancelled"
          ? `a timer of ${step.producer}'s, kept until due (in its outbox on PostgreSQL), not yet in ${d.host}'s inbox`
          : d.fate === "waiting in outbox" || d.fate === "parked in outbox"
            ? `in ${step.producer}'s outbox${locations[step.producer] === undefined ? "" : ` (${locations[step.producer]})`}, not yet in ${d.host}'s inbox`
            : `${d.host}'s inbox row is gone (expired) or was never written (memory)`
        : `in ${d.host}'s inbox${where} at ${at(d.storedAt)}, ${sourceText(d.source)}`
    lines.push(`  ${d.host}: ${stored}`)
    lines.push(`    ${fateText(d)}`)
    if (d.attempts > 0 || d.lastError !== null)
      lines.push(
        `    ${d.attempts} failed attempt${d.attempts === 1 ? "" : "s"}${d.lastError === null ? "" : `; last error: ${firstLine(d.lastError)}`}`
      )
    if (d.handledAgain > 0)
      lines.push(`    handled ${d.handledAgain} more time${d.handledAgain === 1 ? "" : "s"} (redelivered)`)
  }
  lines.push("")
  lines.push("produced")
  if (history.produced.length === 0) lines.push("  nothing")
  for (const p of history.produced) {
    const indent = "  ".repeat(p.depth)
    const to =
      p.deliveries.length === 0
        ? "no subscriber"
        : p.deliveries.map((d) => `${d.host}: ${shortFate(d)}`).join("; ")
    lines.push(`${indent}${p.envelope.type} ${p.envelope.messageId} (${p.kind} by ${p.producer}) → ${to}`)
  }
  return lines.join("\n")
}

/** A delivery's fate in a few words: `handled after 3 ms`, `parked in inbox after 10 attempts: boom`. */
export const shortFate = (d: FlowGraph.Delivery): string => {
  const tries = d.attempts > 0 ? ` after ${d.attempts} failed attempt${d.attempts === 1 ? "" : "s"}` : ""
  switch (d.fate) {
    case "handled":
      return `handled in ${d.waitMillis ?? 0} ms${tries}`
    case "not recorded":
      return "not recorded"
    default:
      return `${d.fate}${tries}${d.lastError === null ? "" : `: ${firstLine(d.lastError)}`}`
  }
}

/** Epoch milliseconds as an ISO time (UTC), or a dash. */
export const at = (millis: number | null): string => (millis === null ? "-" : new Date(millis).toISOString())

// internal

const describeKind = (step: FlowGraph.Step) => {
  const to = step.consumers.length === 0 ? "no subscriber" : step.consumers.join(", ")
  switch (step.kind) {
    case "input":
      return `command from outside to ${to}`
    case "command":
      return `command sent by ${step.producer} to ${to}`
    case "event":
      return `event published by ${step.producer}, delivered to ${to}`
    case "timer":
      return `timer scheduled by ${step.producer} for ${to}, due ${at(step.dueAt)}`
  }
}

const sourceText = (source: string | null) =>
  source === "external"
    ? "from a front door"
    : source === "direct"
      ? "handed over in memory and handled in one transaction"
      : source === null
        ? ""
        : `forwarded by the relay from ${source}`

const fateText = (d: FlowGraph.Delivery) => {
  switch (d.fate) {
    case "handled":
      return `handled at ${at(d.handledAt)}, ${d.waitMillis} ms after it occurred; ${d.stateChanged ? `state changed (version ${d.version})` : "state unchanged"}`
    case "not recorded":
      return "no record of it here (its rows expired, or it was never delivered)"
    case "scheduled":
      return "scheduled: not delivered yet"
    case "cancelled":
      return "cancelled by a later decision of its producer before it was delivered"
    default:
      return `${d.fate}${d.parkedAt === null ? "" : ` since ${at(d.parkedAt)}`}`
  }
}

const firstLine = (text: string) => text.split("\n")[0] ?? ""
