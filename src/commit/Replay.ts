import { Either } from "effect"
import type { AuditEntry } from "./CommitBoundary.js"
import type { DecodeFailure, HostDefinition } from "./HostDefinition.js"

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
    const effects = definition.decide(states.get(entry.key), decoded.right, {
      messageId: entry.message.messageId,
      now: entry.message.occurredAt
    })
    if (effects.state !== undefined) states.set(entry.key, effects.state)
  }
  return states
}
