import type { AuditEntry } from "../commit/CommitBoundary.js"
import type * as Routing from "../commit/Routing.js"
import type { Envelope } from "../runtime/Envelope.js"
import type { BoxRow, Records } from "./Journal.js"

/**
 * Where one message stands at one consumer. A timer (a message scheduled for later) is `scheduled` until it is
 * handled, and `cancelled` when a later decision of its producer cancelled it before it was delivered.
 */
export type Fate =
  | "handled"
  | "waiting in inbox"
  | "waiting in outbox"
  | "parked in inbox"
  | "parked in outbox"
  | "parked in mailbox"
  | "scheduled"
  | "cancelled"
  | "not recorded"

/** One message's way to one consumer: stored, attempted, handled (or not yet), and what the handling produced. */
export interface Delivery {
  readonly host: string
  readonly fate: Fate
  /** When the consumer's inbox received it (absent when it was handed over in memory or the row expired). */
  readonly storedAt: number | null
  /** Where its inbox row came from: a host, `external` (a front door) or `direct` (handed over in memory). */
  readonly source: string | null
  readonly handledAt: number | null
  /** From the message's time to its handling (or to now for what still waits is left to the reader). */
  readonly waitMillis: number | null
  /** Failed attempts (inbox or outbox) and the last error, as the boxes keep them. */
  readonly attempts: number
  readonly lastError: string | null
  readonly parkedAt: number | null
  readonly stateChanged: boolean | null
  readonly version: number | null
  /** Times the consumer handled it again (an at-least-once delivery on the memory boundary). */
  readonly handledAgain: number
  /** Ids of the messages its handling produced, in order. */
  readonly produced: ReadonlyArray<string>
}

/** One message of a flow. */
export interface Step {
  readonly envelope: Envelope
  /**
   * `input`: from outside (a front door); `command`: sent to one host; `event`: published to every subscriber;
   * `timer`: scheduled by a host's decision for a later time.
   */
  readonly kind: "input" | "command" | "event" | "timer"
  /** The host whose commit produced it, or `outside`. */
  readonly producer: string
  /** The hosts it goes to (an event with no subscriber goes nowhere). */
  readonly consumers: ReadonlyArray<string>
  readonly deliveries: ReadonlyArray<Delivery>
  /** Distance from the flow's first message in the causation tree. */
  readonly depth: number
  /** When a timer falls due (epoch ms); null for every other kind. */
  readonly dueAt: number | null
}

/** Every message of a flow in causal order (depth first, siblings by time), with its deliveries. */
export interface FlowGraph {
  readonly correlationId: string
  readonly steps: ReadonlyArray<Step>
  /** The flow's first and last recorded times (epoch ms). */
  readonly startedAt: number
  readonly lastAt: number
}

/** Builds a flow's graph from what its hosts recorded (audit entries and box rows of one correlation id). */
export const make = (correlationId: string, records: Records, routing: Routing.Routing): FlowGraph => {
  const envelopes = new Map<string, Envelope>()
  const producedBy = new Map<string, { host: string; kind: "command" | "event" | "timer"; dueAt?: number }>()
  const cancelled = new Set<string>()
  const handled = new Map<string, Array<AuditEntry>>()
  const add = (envelope: Envelope) => {
    if (!envelopes.has(envelope.messageId)) envelopes.set(envelope.messageId, envelope)
  }
  for (const entry of records.audit) {
    add(entry.message)
    const key = `${entry.host}\u0000${entry.message.messageId}`
    handled.set(key, [...(handled.get(key) ?? []), entry])
    for (const event of entry.events) {
      add(event)
      producedBy.set(event.messageId, { host: entry.host, kind: "event" })
    }
    for (const command of entry.commands) {
      add(command)
      producedBy.set(command.messageId, { host: entry.host, kind: "command" })
    }
    for (const { envelope, dueAt } of entry.scheduled ?? []) {
      add(envelope)
      producedBy.set(envelope.messageId, { host: entry.host, kind: "timer", dueAt })
    }
    for (const id of entry.cancelled ?? []) cancelled.add(id)
  }
  for (const row of records.rows) add(row.envelope)
  const rowsOf = (messageId: string) => records.rows.filter((row) => row.envelope.messageId === messageId)

  const stepOf = (envelope: Envelope, depth: number): Step => {
    const origin = producedBy.get(envelope.messageId)
    const rows = rowsOf(envelope.messageId)
    const inboxSource = rows.find((row) => row.box === "inbox")?.peer
    const producer =
      origin?.host ??
      (inboxSource !== undefined && inboxSource !== "external" && inboxSource !== "direct"
        ? inboxSource
        : "outside")
    const kind = origin?.kind ?? "input"
    const consumers =
      kind === "input"
        ? [
            ...new Set([
              ...records.audit.filter((e) => e.message.messageId === envelope.messageId).map((e) => e.host),
              ...rows.filter((row) => row.box !== "outbox").map((row) => row.host)
            ])
          ]
        : routing.consumersOf(envelope.type)
    return {
      envelope,
      kind,
      producer,
      consumers,
      depth,
      dueAt: origin?.dueAt ?? null,
      deliveries: consumers.map((host) =>
        deliveryOf(
          host,
          envelope,
          kind === "timer" ? (cancelled.has(envelope.messageId) ? "cancelled" : "scheduled") : undefined,
          handled.get(`${host}\u0000${envelope.messageId}`) ?? [],
          rows.filter(
            (row) =>
              (row.box !== "outbox" && row.host === host) || (row.box === "outbox" && row.peer === host)
          )
        )
      )
    }
  }

  // Causal order: roots (caused by themselves or by nothing recorded here) by time, then each message's children.
  const children = new Map<string, Array<Envelope>>()
  const roots: Array<Envelope> = []
  for (const envelope of envelopes.values()) {
    const parent = envelope.causationId
    if (parent === envelope.messageId || !envelopes.has(parent)) roots.push(envelope)
    else children.set(parent, [...(children.get(parent) ?? []), envelope])
  }
  const byTime = (a: Envelope, b: Envelope) =>
    a.occurredAt - b.occurredAt || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0)
  const steps: Array<Step> = []
  const seen = new Set<string>()
  const visit = (envelope: Envelope, depth: number) => {
    if (seen.has(envelope.messageId)) return
    seen.add(envelope.messageId)
    steps.push(stepOf(envelope, depth))
    for (const child of (children.get(envelope.messageId) ?? []).sort(byTime)) visit(child, depth + 1)
  }
  for (const root of roots.sort(byTime)) visit(root, 0)

  // A timer's time is its due time: part of the flow's span only once it was handled (a scheduled one is in the
  // future, a cancelled one never happened).
  const times = steps.flatMap((step) => [
    ...(step.kind === "timer" && !step.deliveries.some((d) => d.fate === "handled")
      ? []
      : [step.envelope.occurredAt]),
    ...step.deliveries.flatMap((d) => [d.handledAt, d.parkedAt, d.storedAt].filter((t) => t !== null))
  ])
  return {
    correlationId,
    steps,
    startedAt: times.length === 0 ? 0 : Math.min(...times),
    lastAt: times.length === 0 ? 0 : Math.max(...times)
  }
}

/** True when every delivery of the flow was handled or cancelled (nothing waits, nothing is scheduled or parked). */
export const isSettled = (graph: FlowGraph): boolean => open(graph).length === 0

/**
 * The deliveries of a flow that are not handled yet (waiting, scheduled or parked), with their message; a cancelled
 * timer is closed.
 */
export const open = (graph: FlowGraph): ReadonlyArray<{ readonly step: Step; readonly delivery: Delivery }> =>
  graph.steps.flatMap((step) =>
    step.deliveries
      .filter((d) => d.fate !== "handled" && d.fate !== "not recorded" && d.fate !== "cancelled")
      .map((delivery) => ({ step, delivery }))
  )

// internal

const deliveryOf = (
  host: string,
  envelope: Envelope,
  // A timer's fate while its consumer has not handled it (absent for other messages).
  timer: "scheduled" | "cancelled" | undefined,
  entries: ReadonlyArray<AuditEntry>,
  rows: ReadonlyArray<BoxRow>
): Delivery => {
  const entry = entries[0]
  const inbox = rows.find((row) => row.box === "inbox")
  const outbox = rows.find((row) => row.box === "outbox")
  const mailbox = rows.find((row) => row.box === "mailbox")
  const failing = inbox !== undefined && inbox.attempts > 0 ? inbox : (outbox ?? inbox)
  const fate: Fate =
    entry !== undefined
      ? "handled"
      : mailbox !== undefined
        ? "parked in mailbox"
        : inbox?.parkedAt != null
          ? "parked in inbox"
          : outbox?.parkedAt != null
            ? "parked in outbox"
            : timer === "cancelled"
              ? "cancelled"
              : inbox !== undefined
                ? "waiting in inbox"
                : timer === "scheduled"
                  ? "scheduled"
                  : outbox !== undefined
                    ? "waiting in outbox"
                    : "not recorded"
  const parked = mailbox ?? (inbox?.parkedAt != null ? inbox : outbox?.parkedAt != null ? outbox : undefined)
  return {
    host,
    fate,
    storedAt: inbox?.storedAt ?? null,
    source: inbox?.peer ?? null,
    handledAt: entry?.committedAt ?? null,
    waitMillis: entry === undefined ? null : Math.max(0, entry.committedAt - envelope.occurredAt),
    attempts: (inbox?.attempts ?? 0) + (outbox?.attempts ?? 0) + (mailbox?.attempts ?? 0),
    lastError: mailbox?.lastError ?? failing?.lastError ?? null,
    parkedAt: parked?.parkedAt ?? null,
    stateChanged: entry?.stateChanged ?? null,
    version: entry?.version ?? null,
    handledAgain: Math.max(0, entries.length - 1),
    produced: entry === undefined ? [] : [...entry.events, ...entry.commands].map((e) => e.messageId)
  }
}
