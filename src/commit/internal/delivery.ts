import { Cause, Effect, Exit } from "effect"
import type * as Bus from "../Bus.js"
import type { PersistenceError } from "../CommitBoundary.js"
import type { ContextStorage, StoredMessage } from "../ContextStorage.js"
import * as Tracing from "../Tracing.js"
import * as RetryPolicy from "./retryPolicy.js"

/**
 * One host's delivery rounds: take the keys whose oldest pending inbox message is due (no other worker or process
 * delivers them meanwhile), hand each key's messages to the host in order (its commit marks each processed in the
 * same transaction as its state), and record the failures: retried after a backoff, parked after the policy's
 * attempts. A failed message stops its key for the round, so later messages of the key wait behind it.
 */
export const make = (options: {
  readonly storage: ContextStorage
  readonly policy: RetryPolicy.RetryPolicy
  readonly bus: Bus.Bus["Type"]
}) => {
  const { storage, policy, bus } = options
  const host = storage.host
  // Until the host's actor is registered in this process there is nobody to deliver to: wait, don't fail.
  const ready = () => bus.hosts().includes(host)

  const handOver = (message: StoredMessage) =>
    Tracing.ifExporting((exporting) => {
      if (!exporting) return bus.ask(host, message.envelope)
      const parent = Tracing.parentOf(message.envelope.traceparent)
      return Effect.withSpan(bus.ask(host, message.envelope), "mailroom.relay.deliver", {
        // Always called from here: a captured stack adds nothing and costs ~5 µs per delivery.
        captureStackTrace: false,
        kind: "producer",
        attributes: {
          "mailroom.host": host,
          "mailroom.type": message.envelope.type,
          "mailroom.message_id": message.envelope.messageId,
          "mailroom.attempt": message.attempts + 1
        },
        ...(parent === undefined ? {} : { parent })
      })
    })

  const failed = (message: StoredMessage, error: string) =>
    Effect.gen(function* () {
      const deferral = yield* RetryPolicy.defer(policy, message.attempts + 1, error)
      yield* storage.deferInbox(message, deferral)
      if (deferral.park) {
        yield* bus.broadcast({
          _tag: "DeliveryFailed",
          step: "relay",
          to: host,
          envelope: message.envelope,
          error: `parked after ${deferral.attempts} attempts: ${error}`
        })
      }
    })

  /** One round; true when it was full (more may be due). */
  const round: Effect.Effect<boolean, PersistenceError> = Effect.suspend(() =>
    !ready()
      ? Effect.succeed(false)
      : Effect.scoped(
          Effect.gen(function* () {
            const { messages, more } = yield* storage.claimInbox
            if (messages.length === 0) return false
            const byKey = new Map<string, Array<StoredMessage>>()
            for (const message of messages) {
              const list = byKey.get(message.envelope.key)
              if (list === undefined) byKey.set(message.envelope.key, [message])
              else list.push(message)
            }
            const failures: Array<{ readonly message: StoredMessage; readonly error: string }> = []
            yield* Effect.forEach(
              byKey.values(),
              (list) =>
                Effect.gen(function* () {
                  for (const message of list) {
                    const exit = yield* Effect.exit(handOver(message))
                    if (Exit.isFailure(exit)) {
                      // This process stopping its host (unregistered first, then its actor drops what it holds) is
                      // not the message's failure: counting it would park healthy messages after a few restarts.
                      if (ready()) failures.push({ message, error: describe(exit.cause) })
                      return
                    }
                  }
                }),
              { concurrency: "unbounded", discard: true }
            )
            for (const { message, error } of failures) yield* failed(message, error)
            return more
          })
        )
  )

  return { round }
}

// internal

const describe = (cause: Cause.Cause<{ readonly reason?: unknown; readonly message?: unknown }>): string => {
  const error = Cause.squash(cause) as { readonly reason?: unknown; readonly message?: unknown }
  return typeof error.reason === "string"
    ? error.reason
    : typeof error.message === "string"
      ? error.message
      : String(error)
}
