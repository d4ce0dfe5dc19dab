import type * as Routing from "../commit/Routing.js"
import * as FlowGraph from "./FlowGraph.js"
import type { Records } from "./Journal.js"

/** One flow in a listing: its first message, how far it got, and what still waits or is parked. */
export interface FlowSummary {
  readonly correlationId: string
  /** The flow's first message (type and key) as far as the records reach. */
  readonly firstType: string
  readonly key: string
  readonly messages: number
  readonly hosts: ReadonlyArray<string>
  readonly startedAt: number
  readonly lastAt: number
  /** Deliveries not handled yet (waiting in a box). */
  readonly waiting: number
  readonly parked: number
  /** When the oldest delivery still open began waiting (null when nothing is open). */
  readonly openSince: number | null
  readonly status: "settled" | "waiting" | "parked"
}

/**
 * The flows in some records, most recent first; `stuckFor` keeps only flows with a delivery open (waiting or parked)
 * for at least that long at `now`.
 */
export const summarize = (
  records: Records,
  routing: Routing.Routing,
  options: { readonly now: number; readonly stuckForMillis?: number; readonly limit?: number }
): ReadonlyArray<FlowSummary> => {
  const ids = new Set<string>()
  for (const entry of records.audit) ids.add(entry.message.correlationId)
  for (const row of records.rows) ids.add(row.envelope.correlationId)
  const flows: Array<FlowSummary> = []
  for (const correlationId of ids) {
    const graph = FlowGraph.make(
      correlationId,
      {
        audit: records.audit.filter((e) => e.message.correlationId === correlationId),
        rows: records.rows.filter((r) => r.envelope.correlationId === correlationId)
      },
      routing
    )
    const open = FlowGraph.open(graph)
    const parked = open.filter(({ delivery }) => delivery.fate.startsWith("parked")).length
    // A timer waits from its due time, not from when it was scheduled.
    const since = open.map(
      ({ step, delivery }) => step.dueAt ?? delivery.storedAt ?? step.envelope.occurredAt
    )
    const openSince = since.length === 0 ? null : Math.min(...since)
    const first = graph.steps[0]
    flows.push({
      correlationId,
      firstType: first?.envelope.type ?? "",
      key: first?.envelope.key ?? "",
      messages: graph.steps.length,
      hosts: [
        ...new Set(graph.steps.flatMap((s) => [s.producer, ...s.consumers]).filter((h) => h !== "outside"))
      ],
      startedAt: graph.startedAt,
      lastAt: graph.lastAt,
      waiting: open.length - parked,
      parked,
      openSince,
      status: parked > 0 ? "parked" : open.length > 0 ? "waiting" : "settled"
    })
  }
  const stuck =
    options.stuckForMillis === undefined
      ? flows
      : flows.filter((f) => f.openSince !== null && options.now - f.openSince >= options.stuckForMillis!)
  return stuck.sort((a, b) => b.lastAt - a.lastAt).slice(0, options.limit ?? Number.POSITIVE_INFINITY)
}
