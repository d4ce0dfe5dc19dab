import { Context, Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import type { MessageId } from "../runtime/Envelope.js"

/** Generates ids for messages that enter the system from outside (commands from users, APIs, tests). */
export class MessageIds extends Context.Tag("mailroom/commit/MessageIds")<
  MessageIds,
  { readonly next: Effect.Effect<MessageId> }
>() {}

/** A random, globally unique id (a UUID), as one flat string. */
export const random = (): MessageId => {
  const id = randomUUID()
  // Node builds a UUID by concatenation: a tree of ~15 string pieces (~490 bytes) that whatever keeps the id (the
  // memory boundary's audit) would keep too. Reading a character makes V8 flatten it in place (~65 bytes).
  id.charCodeAt(0)
  return id as MessageId
}

/** Random, globally unique ids (UUIDs). */
export const layer: Layer.Layer<MessageIds> = Layer.succeed(MessageIds, {
  next: Effect.sync(random)
})

/** Deterministic ids `<prefix>-1`, `<prefix>-2`, ... for tests and simulations. */
export const layerDeterministic = (prefix = "m"): Layer.Layer<MessageIds> =>
  Layer.sync(MessageIds, () => {
    let counter = 0
    return { next: Effect.sync(() => `${prefix}-${++counter}` as MessageId) }
  })

/**
 * The id of the `index`-th message caused by handling `parent`: deterministic, so a retried or replayed
 * handling produces the same ids and downstream inboxes recognise the duplicates.
 */
export const derive = (parent: MessageId, index: number): MessageId => {
  const id = `${parent}.${index}`
  return (id.length <= 120 ? id : `h${fnv1a(id)}.${index}`) as MessageId
}

/**
 * The id of the `index`-th message scheduled by handling `parent` (`<parent>.t<index>`): deterministic, so a retried
 * handling schedules the same message again (dropped as a duplicate) and a later decision can cancel it by id.
 */
export const deriveScheduled = (parent: MessageId, index: number): MessageId => {
  const id = `${parent}.t${index}`
  return (id.length <= 120 ? id : `h${fnv1a(id)}.t${index}`) as MessageId
}

// 2 x 32-bit FNV-1a over different seeds: 64 bits of spread for over-long derived ids.
const fnv1a = (text: string): string => {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ 0x5bd1e995
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36)
}
