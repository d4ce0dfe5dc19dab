import { Effect, Either, Schema } from "effect"
import type { AuditEntry, PersistenceError } from "./CommitBoundary.js"
import { CommitBoundary } from "./CommitBoundary.js"
import type { AnyHostDefinition, DecodeFailure, HostDefinition } from "./HostDefinition.js"

/** A replay found an entry it could not decode: the log and the definition disagree. */
export class ReplayFailed extends Error {
  constructor(
    readonly entry: AuditEntry,
    readonly reason: string
  ) {
    super(
      `cannot replay ${entry.host} entry ${entry.seq} (${entry.message.type} ${entry.message.messageId}): ${reason}`
    )
  }
}

/** One place where a replayed state and the stored one disagree, in their stored (encoded) form. */
export interface Difference {
  /** Where, as a JSON path (`nations[0].position`); empty for the whole state. */
  readonly path: string
  readonly stored: unknown
  readonly replayed: unknown
}

/** One key's stored state compared with the state its own audit log rebuilds. */
export interface KeyReport {
  readonly host: string
  readonly key: string
  /** Audit entries replayed. */
  readonly entries: number
  /** Empty when the replayed state equals the stored one; else the first differences found. */
  readonly differences: ReadonlyArray<Difference>
  /** Set when the log could not be replayed at all (an entry the definition cannot decode). */
  readonly problem?: string
}

/** How many differences a report lists per key at most. */
export const maxDifferences = 10

/**
 * Rebuilds a host's state for each key by running `decide` over its audit log from empty.
 * Determinism of replay: the result must equal the live state.
 */
export const replay = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>,
  log: ReadonlyArray<AuditEntry>
): ReadonlyMap<string, S> => {
  const states = new Map<string, S>()
  for (const entry of log) {
    const decoded = definition.decode(entry.message)
    if (Either.isLeft(decoded)) throw new ReplayFailed(entry, decoded.left.message)
    const decision = definition.decide(states.get(entry.key), decoded.right, {
      messageId: entry.message.messageId,
      now: entry.message.occurredAt
    })
    if (decision.state !== undefined) states.set(entry.key, decision.state)
  }
  return states
}

/**
 * Compares stored states with the states each key's own audit log rebuilds, both in their stored form (the
 * definition's state codec, version included). Every key that has a state or an audit entry gets a report.
 */
export const compare = <S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>,
  log: ReadonlyArray<AuditEntry>,
  stored: ReadonlyMap<string, S | undefined>
): ReadonlyArray<KeyReport> => {
  const encode = Schema.encodeSync(definition.state)
  const logs = new Map<string, Array<AuditEntry>>()
  for (const entry of log) {
    const own = logs.get(entry.key) ?? []
    own.push(entry)
    logs.set(entry.key, own)
  }
  const keys = [...new Set([...stored.keys(), ...logs.keys()])].sort()
  return keys.map((key): KeyReport => {
    const own = logs.get(key) ?? []
    const base = { host: definition.name, key, entries: own.length }
    // A log that does not start from an empty state (the memory boundary drops its oldest entries past its limit)
    // cannot rebuild the state: say so rather than report differences that are not there.
    const first = own[0]
    const startsAt = first === undefined ? 0 : first.version - (first.stateChanged ? 1 : 0)
    if (startsAt !== 0)
      return {
        ...base,
        differences: [],
        problem: `its audit log starts at version ${startsAt}: the entries before were dropped (the memory boundary keeps the last entries of each host, DirectCommitOptions.auditLimit), so it cannot be replayed from empty`
      }
    let replayed: S | undefined
    try {
      replayed = replay(definition, own).get(key)
    } catch (error) {
      if (!(error instanceof ReplayFailed)) throw error
      return { ...base, differences: [], problem: error.message }
    }
    const current = stored.get(key)
    return {
      ...base,
      differences: diff(
        current === undefined ? undefined : encode(current),
        replayed === undefined ? undefined : encode(replayed),
        ""
      ).slice(0, maxDifferences)
    }
  })
}

/**
 * Verifies determinism of replay for one host: reads its stored states and its audit log through the boundary (on
 * PostgreSQL, that host's own tables only) and compares them key by key; `keys` limits it to some keys. Meant for a
 * quiet host: a key handled between the two reads may differ for that reason alone.
 */
export const verify = (
  definition: AnyHostDefinition,
  options: { readonly keys?: ReadonlyArray<string> } = {}
): Effect.Effect<ReadonlyArray<KeyReport>, PersistenceError, CommitBoundary> =>
  Effect.gen(function* () {
    const boundary = yield* CommitBoundary
    const keys = options.keys ?? (yield* boundary.keys(definition))
    const log =
      options.keys === undefined
        ? yield* boundary.audit(definition.name)
        : (yield* Effect.forEach(keys, (key) => boundary.audit(definition.name, key))).flat()
    const stored = new Map<string, unknown>()
    for (const key of keys) stored.set(key, (yield* boundary.read(definition, key))?.state)
    return compare(definition, log, stored)
  })

// internal

const diff = (stored: unknown, replayed: unknown, path: string): Array<Difference> => {
  if (Object.is(stored, replayed)) return []
  const bothArrays = Array.isArray(stored) && Array.isArray(replayed)
  const bothObjects =
    isRecord(stored) && isRecord(replayed) && !Array.isArray(stored) && !Array.isArray(replayed)
  if (bothArrays) {
    const a = stored as ReadonlyArray<unknown>
    const b = replayed as ReadonlyArray<unknown>
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) =>
      diff(a[i], b[i], `${path}[${i}]`)
    ).flat()
  }
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(replayed)])].sort()
    return keys.flatMap((key) => diff(stored[key], replayed[key], path === "" ? key : `${path}.${key}`))
  }
  return [{ path, stored, replayed }]
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null
