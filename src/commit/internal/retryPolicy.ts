import { Duration, Effect, Random } from "effect"
import type { Deferral } from "../ContextStorage.js"

/** How the relay retries a message: attempts before parking, backoff bounds, and how long dedupe marks live. */
export interface RetryPolicy {
  readonly maxAttempts: number
  readonly backoffMillis: number
  readonly maxBackoffMillis: number
  readonly inboxRetentionMillis: number
  readonly outboxRetentionMillis: number
}

/** The settings a policy is read from (all optional: defaults below). */
export interface RetrySettings {
  readonly maxAttempts?: number
  readonly backoff?: Duration.DurationInput
  readonly maxBackoff?: Duration.DurationInput
  readonly inboxRetention?: Duration.DurationInput
  readonly outboxRetention?: Duration.DurationInput
}

/**
 * The policy of the settings, or why they are unsafe: inbox marks must outlive every possible redelivery (the last
 * retry of a message, or a forward of an outbox row that is still kept), or a late redelivery would be applied twice.
 */
export const fromSettings = (settings: RetrySettings): Effect.Effect<RetryPolicy, string> => {
  const maxAttempts = settings.maxAttempts ?? 10
  const backoffMillis = Duration.toMillis(settings.backoff ?? "100 millis")
  const maxBackoffMillis = Duration.toMillis(settings.maxBackoff ?? "30 seconds")
  let horizon = 0
  for (let i = 0; i < maxAttempts; i++) horizon += Math.min(backoffMillis * 2 ** i, maxBackoffMillis)
  const inboxRetentionMillis = Duration.toMillis(settings.inboxRetention ?? "7 days")
  const outboxRetentionMillis = Duration.toMillis(settings.outboxRetention ?? "1 day")
  const redeliveryHorizon = horizon + outboxRetentionMillis
  if (inboxRetentionMillis <= redeliveryHorizon) {
    return Effect.fail(
      `inbox retention (${inboxRetentionMillis} ms) must be longer than the longest redelivery horizon (${redeliveryHorizon} ms = retries ${horizon} ms + outbox retention ${outboxRetentionMillis} ms); raise MAILROOM_INBOX_RETENTION or lower retries/outbox retention`
    )
  }
  return Effect.succeed({
    maxAttempts,
    backoffMillis,
    maxBackoffMillis,
    inboxRetentionMillis,
    outboxRetentionMillis
  })
}

/** What to do after a message's attempt number `attempts` (counting from 1) failed: retry after a jittered backoff, or park. */
export const defer = (policy: RetryPolicy, attempts: number, error: string): Effect.Effect<Deferral> =>
  Effect.map(Random.nextRange(0.5, 1), (jitter) => ({
    error: error.slice(0, 2000),
    attempts,
    delayMillis: Math.round(backoffAfter(policy, attempts) * jitter),
    park: attempts >= policy.maxAttempts
  }))

/** The delay before the next try after `failures` consecutive failures (exponential, capped), without jitter. */
export const backoffAfter = (policy: RetryPolicy, failures: number): number =>
  Math.min(policy.backoffMillis * 2 ** Math.max(0, failures - 1), policy.maxBackoffMillis)
