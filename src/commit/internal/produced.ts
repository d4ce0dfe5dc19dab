import * as Envelope from "../../runtime/Envelope.js"
import type { AnyHostDefinition } from "../HostDefinition.js"
import * as MessageIds from "../MessageIds.js"
import * as StorableText from "../StorableText.js"

/**
 * The envelopes of the messages one handling produced, in order: each encoded by the host's codec, with an id derived
 * from its cause's (`offset` + its index, so a retried handling produces the same ids) and the cause's correlation.
 */
export const envelopes = (
  definition: AnyHostDefinition,
  cause: Envelope.Envelope,
  key: string,
  messages: ReadonlyArray<unknown>,
  offset: number,
  now: number,
  traceparent: string | undefined
): ReadonlyArray<Envelope.Envelope> => {
  if (messages.length === 0) return none
  // `map` sizes the list exactly (the memory boundary's audit keeps it; a list grown by `push` keeps spare room).
  return messages.map((message, i) =>
    Envelope.causedBy(
      cause,
      MessageIds.derive(cause.messageId, offset + i),
      definition.keyOfOutbound?.(message) ?? key,
      definition.encode(message),
      now,
      traceparent
    )
  )
}

/**
 * Text in what a handling produced (its new state, when it may hold text, and its messages' keys and payloads) that
 * no boundary can store, naming where it is; undefined when everything is storable.
 */
export const problem = (
  state: unknown,
  events: ReadonlyArray<Envelope.Envelope>,
  commands: ReadonlyArray<Envelope.Envelope>
): string | undefined => {
  if (state !== undefined) {
    const found = StorableText.problemIn(state)
    if (found !== undefined) return `the new state at ${found}`
  }
  return problemInList(events) ?? problemInList(commands)
}

// internal

// One empty list for every handling that produces nothing of a kind (the memory boundary's audit keeps the lists).
const none: ReadonlyArray<Envelope.Envelope> = Object.freeze([])

const payloadPath = ["payload"] as const

const problemInList = (list: ReadonlyArray<Envelope.Envelope>): string | undefined => {
  for (let i = 0; i < list.length; i++) {
    const produced = list[i]!
    const keyProblem = StorableText.problemOf(produced.key)
    const found =
      keyProblem === undefined ? StorableText.problemIn(produced.payload, payloadPath) : `key: ${keyProblem}`
    if (found !== undefined) return `${produced.type} ${produced.messageId} at ${found}`
  }
  return undefined
}
