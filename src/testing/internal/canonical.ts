import type { AuditEntry } from "../../commit/CommitBoundary.js"

/** What the conformance kit read from one host. */
export interface HostRecord {
  readonly host: string
  readonly keys: ReadonlyArray<string>
  readonly states: ReadonlyArray<readonly [string, unknown]>
  readonly log: ReadonlyArray<AuditEntry>
}

interface Message {
  readonly id: string
  readonly type: string
  readonly payload: unknown
}

interface Handled extends Message {
  readonly produced: ReadonlyArray<Message>
}

/** The producer of messages from outside (the scenario, a client): they carry no cause in the logs read. */
export const outside = "outside"

/**
 * Builds a comparable outcome: ids renamed canonically (outside messages `<host>/<key>#<n>`, produced ones
 * `<cause>.<index>`, also inside strings of states and payloads), ignored fields dropped, duplicates removed, and
 * each key's handled messages grouped by producer (`outside`, or the producing `<host>/<key>`), in the order
 * handled: the only order a boundary promises is per key and per producer.
 */
export const outcomeOf = (
  target: string,
  records: ReadonlyArray<HostRecord>,
  ignoreFields: ReadonlyArray<string>
) => {
  const producedBy = new Map<
    string,
    { readonly parent: string; readonly index: number; readonly host: string; readonly key: string }
  >()
  for (const record of records) {
    for (const entry of record.log) {
      ;[...entry.events, ...entry.commands].forEach((message, index) => {
        producedBy.set(message.messageId, {
          parent: entry.message.messageId,
          index,
          host: record.host,
          key: entry.key
        })
      })
    }
  }
  const roots = new Map<string, string>()
  const counters = new Map<string, number>()
  for (const record of records) {
    for (const entry of record.log) {
      const id = entry.message.messageId
      if (producedBy.has(id) || roots.has(id)) continue
      const scope = `${record.host}/${entry.key}`
      const n = (counters.get(scope) ?? 0) + 1
      counters.set(scope, n)
      roots.set(id, `${scope}#${n}`)
    }
  }
  const names = new Map<string, string>()
  const canonical = (id: string): string => {
    const known = names.get(id)
    if (known !== undefined) return known
    const parent = producedBy.get(id)
    const name = roots.get(id) ?? (parent === undefined ? id : `${canonical(parent.parent)}.${parent.index}`)
    names.set(id, name)
    return name
  }
  for (const id of [...roots.keys(), ...producedBy.keys()]) canonical(id)

  const renames = [...names].filter(([raw, name]) => raw !== name).sort(([a], [b]) => b.length - a.length)
  const pattern =
    renames.length === 0
      ? undefined
      : new RegExp(`(?<![A-Za-z0-9])(?:${renames.map(([raw]) => escape(raw)).join("|")})(?![A-Za-z0-9])`, "g")
  const rename = (text: string) =>
    pattern === undefined ? text : text.replace(pattern, (raw) => names.get(raw)!)
  const ignored = new Set(ignoreFields)
  const normalize = (value: unknown): unknown => {
    if (typeof value === "string") return rename(value)
    if (Array.isArray(value)) return value.map(normalize)
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value).sort()) {
        if (!ignored.has(key)) out[rename(key)] = normalize((value as Record<string, unknown>)[key])
      }
      return out
    }
    return value
  }
  const message = (envelope: AuditEntry["message"]): Message => ({
    id: canonical(envelope.messageId),
    type: envelope.type,
    payload: normalize(envelope.payload)
  })

  const states: Record<string, Record<string, unknown>> = {}
  const handled: Record<string, Record<string, Record<string, ReadonlyArray<Handled>>>> = {}
  for (const record of records) {
    const byKey: Record<string, unknown> = {}
    for (const [key, state] of record.states) byKey[rename(key)] = normalize(state)
    states[record.host] = byKey
    const handledByKey: Record<string, Record<string, Array<Handled>>> = {}
    const seen = new Set<string>()
    for (const key of record.keys) handledByKey[rename(key)] = {}
    for (const entry of record.log) {
      if (seen.has(entry.message.messageId)) continue
      seen.add(entry.message.messageId)
      const producer = producedBy.get(entry.message.messageId)
      const lane = producer === undefined ? outside : `${producer.host}/${rename(producer.key)}`
      const lanes = handledByKey[rename(entry.key)] ?? {}
      handledByKey[rename(entry.key)] = lanes
      const list = lanes[lane] ?? []
      lanes[lane] = list
      list.push({ ...message(entry.message), produced: [...entry.events, ...entry.commands].map(message) })
    }
    handled[record.host] = handledByKey
  }
  return { target, states, handled }
}

/** Paths where two plain values differ, at most `limit` of them. */
export const diff = (expected: unknown, actual: unknown, limit: number): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (path: string, x: unknown, y: unknown): void => {
    if (out.length >= limit || Object.is(x, y)) return
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) out.push(`${path}: ${x.length} items expected, got ${y.length}`)
      for (let i = 0; i < Math.min(x.length, y.length); i++) walk(`${path}[${i}]`, x[i], y[i])
      return
    }
    if (isRecord(x) && isRecord(y)) {
      for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        if (!(key in y)) out.push(`${path}.${key}: expected ${show(x[key])}, missing`)
        else if (!(key in x)) out.push(`${path}.${key}: not expected, got ${show(y[key])}`)
        else walk(`${path}.${key}`, x[key], y[key])
        if (out.length >= limit) return
      }
      return
    }
    out.push(`${path}: expected ${show(x)}, got ${show(y)}`)
  }
  walk("", expected, actual)
  return out.map((line) => (line.startsWith(".") ? line.slice(1) : line))
}

// internal

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 120 ? `${text.slice(0, 119)}…` : text
}
