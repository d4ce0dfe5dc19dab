import * as Envelope from "../../runtime/Envelope.js"
import type { ScheduledEnvelope } from "../CommitBoundary.js"
import * as Decision from "../Decision.js"
import type { HostDefinition } from "../HostDefinition.js"
import * as MessageIds from "../MessageIds.js"

/**
 * The envelopes of the messages a decision scheduled: ids derived from the handled message (`<id>.t<i>`), keyed as
 * the host keys that message (its own inbound type: `keyOf`; else `keyOfOutbound`, else the handled message's key),
 * and the due time as the time the message occurs.
 */
export const envelopes = <S, In, Ev, Cmd>(
  definition: HostDefinition<S, In, Ev, Cmd, any>,
  cause: Envelope.Envelope,
  key: string,
  decision: Decision.Decision<S, Ev, Cmd, In | Ev | Cmd>,
  now: number,
  traceparent: string | undefined
): ReadonlyArray<ScheduledEnvelope> => {
  const scheduled = decision.scheduled
  if (scheduled === undefined || scheduled.length === 0) return []
  return scheduled.map((item, index) => {
    const dueAt = Math.round(Decision.dueAt(item, now))
    const wire = definition.encode(item.message)
    // A message for the host itself is keyed as it keys its inbound messages.
    const ownKey = definition.consumes.includes(wire.type)
      ? definition.keyOf(item.message as In)
      : definition.keyOfOutbound?.(item.message as Ev | Cmd)
    const envelope = Envelope.causedBy(
      cause,
      MessageIds.deriveScheduled(cause.messageId, index),
      ownKey ?? key,
      wire,
      dueAt,
      traceparent
    )
    return { envelope, dueAt }
  })
}
