import { Cause, Clock, Effect, Exit, Option } from "effect"
import type * as Bus from "../Bus.js"
import type { PersistenceError } from "../CommitBoundary.js"
import type { ContextStorage, OutboxMessage } from "../ContextStorage.js"
import type * as Faults from "../Faults.js"
import type * as Handover from "./handover.js"
import * as RetryPolicy from "./retryPolicy.js"

/** Most outbox messages one forwarding round takes. */
export const forwardBatch = 500

/**
 * One producer's forwarding rounds: its oldest pending outbox messages go into their destinations' inboxes, each
 * destination in its own transaction of its own storage, and only then are they marked forwarded in the producer's
 * storage (a crash in between costs a second forward, which the inbox drops). Messages of one destination go in
 * outbox order, so each key keeps its order.
 *
 * A destination that cannot be reached is not the messages' fault: they wait, uncounted, while the round backs off
 * from that destination alone (other destinations go on), and the wait is said once when it starts and once when it
 * ends. A destination that refuses a batch gets its messages one at a time, so only the one it refuses is counted and,
 * after the policy's attempts, parked; the ones behind it wait their turn.
 */
export const make = (options: {
  readonly producer: ContextStorage
  readonly storageOf: (host: string) => ContextStorage | undefined
  readonly policy: RetryPolicy.RetryPolicy
  readonly bus: Bus.Bus["Type"]
  /** The fault injector, when a test or the sandbox installed one. */
  readonly faults: Faults.Faults["Type"] | undefined
  /** Hands due scheduled messages straight to consumers running in this process. */
  readonly handover?: Handover.Handover
}) => {
  const { producer, policy, bus } = options
  // Destinations that could not be reached: consecutive failures, and when to try again.
  const unreachable = new Map<string, { failures: number; until: number; waiting: number }>()
  // Destinations that refused a message: not before this time (the message's own backoff).
  const refusedUntil = new Map<string, number>()
  // When the next scheduled message falls due, as the last claim saw it (this process's clock).
  let nextDue: number | undefined

  const forwardTo = (destination: string, claimed: ReadonlyArray<OutboxMessage>, now: number) =>
    Effect.gen(function* () {
      let messages = claimed
      const target = options.storageOf(destination)
      // Due scheduled messages for a consumer running here are handed to it in memory, each key's in order, as a
      // commit's handover does: the consumer's own transaction records each in its inbox, without the relay's
      // insert, notification and delivery round in between. A key whose chain is all scheduled goes that way; what
      // the consumer does not take (and every other key) is forwarded the normal way below, after it.
      if (target !== undefined && options.handover !== undefined && bus.hosts().includes(destination)) {
        const mixed = new Set(messages.filter((m) => m.scheduled !== true).map((m) => m.envelope.key))
        const direct = messages.filter((m) => !mixed.has(m.envelope.key))
        if (direct.length > 0) {
          const handed = new Set(yield* options.handover.deliver(producer.host, direct))
          if (handed.size > 0) yield* producer.markForwarded([...handed])
          messages = messages.filter((m) => !handed.has(m.id))
          if (messages.length === 0) return
        }
      }
      if (target === undefined) {
        // Routing is validated at start, so only a row written by another release can name an unknown host.
        for (const message of messages)
          yield* refused(message, `no host named "${destination}" in this deployment`, now)
        return
      }
      const accepted = yield* Effect.exit(
        target.accept(
          producer.host,
          messages.map((m) => m.envelope)
        )
      )
      if (Exit.isSuccess(accepted)) {
        refusedUntil.delete(destination)
        yield* producer.markForwarded(messages.map((m) => m.id))
        const was = unreachable.get(destination)
        if (was !== undefined) {
          unreachable.delete(destination)
          yield* notice(
            "info",
            `${destination}'s storage (${target.location}) answers again: forwarding what waited in ${producer.host}'s outbox`
          )
        }
        return
      }
      const error = failureOf(accepted.cause)
      if (error?.unavailable === true) {
        const was = unreachable.get(destination)
        const failures = (was?.failures ?? 0) + 1
        unreachable.set(destination, {
          failures,
          until: now + RetryPolicy.backoffAfter(policy, failures),
          waiting: messages.length
        })
        if (was === undefined)
          yield* notice(
            "warning",
            `${destination}'s storage (${target.location}) cannot be reached (${error.message}): ${messages.length}${messages.length >= forwardBatch ? "+" : ""} message(s) wait in ${producer.host}'s outbox for it; retrying`
          )
        return
      }
      if (messages.length > 1) {
        // One message may be what the destination refuses: find it, and let the ones before it through.
        for (const message of messages) {
          const alone = yield* Effect.exit(target.accept(producer.host, [message.envelope]))
          if (Exit.isSuccess(alone)) yield* producer.markForwarded([message.id])
          else {
            yield* refused(message, describe(alone.cause), now)
            return
          }
        }
        return
      }
      yield* refused(messages[0]!, error?.message ?? describe(accepted.cause), now)
    })

  // Counted against the message; the destination is tried again after the message's backoff (it goes first then).
  const refused = (message: OutboxMessage, error: string, now: number) =>
    Effect.gen(function* () {
      const deferral = yield* RetryPolicy.defer(policy, message.attempts + 1, error)
      yield* producer.deferOutbox(message, deferral)
      if (!deferral.park) refusedUntil.set(message.destination, now + deferral.delayMillis)
      if (deferral.park) {
        yield* bus.broadcast({
          _tag: "DeliveryFailed",
          step: "relay",
          to: message.destination,
          envelope: message.envelope,
          error: `parked in ${producer.host}'s outbox after ${deferral.attempts} attempts: ${error}`
        })
      }
    })

  const notice = (level: "info" | "warning", message: string) =>
    Effect.zipRight(
      level === "warning" ? Effect.logWarning(message) : Effect.logInfo(message),
      bus.broadcast({ _tag: "Notice", level, message })
    )

  /** One round; true when it was full (more may be waiting). */
  const round: Effect.Effect<boolean, PersistenceError | Faults.InjectedFault> = Effect.scoped(
    Effect.gen(function* () {
      if (options.faults !== undefined) yield* options.faults.check("relay", producer.host)
      const now = yield* Clock.currentTimeMillis
      const skip = [
        ...[...unreachable].filter(([, state]) => state.until > now).map(([destination]) => destination),
        ...[...refusedUntil].filter(([, until]) => until > now).map(([destination]) => destination)
      ]
      const claim = yield* producer.claimOutbox(forwardBatch, skip)
      nextDue = claim.nextDueIn === undefined ? undefined : now + claim.nextDueIn
      const messages = claim.messages
      if (messages.length === 0) return false
      const byDestination = new Map<string, Array<OutboxMessage>>()
      for (const message of messages) {
        const list = byDestination.get(message.destination)
        if (list === undefined) byDestination.set(message.destination, [message])
        else list.push(message)
      }
      yield* Effect.forEach(byDestination, ([destination, list]) => forwardTo(destination, list, now), {
        concurrency: "unbounded",
        discard: true
      })
      return messages.length >= forwardBatch
    })
  )

  /** Destinations this producer waits for, with how many messages wait at least. */
  const waitingFor = (): ReadonlyArray<{ readonly destination: string; readonly waiting: number }> =>
    [...unreachable].map(([destination, state]) => ({ destination, waiting: state.waiting }))

  /** When the next scheduled message of this outbox falls due (epoch milliseconds), as the last round saw it. */
  const nextDueAt = (): number | undefined => nextDue

  return { round, waitingFor, nextDueAt }
}

// internal

const failureOf = (cause: Cause.Cause<PersistenceError>): PersistenceError | undefined =>
  Option.getOrUndefined(Cause.failureOption(cause))

const describe = (cause: Cause.Cause<PersistenceError>): string =>
  failureOf(cause)?.message ?? Cause.pretty(cause).split("\n")[0] ?? "refused"
