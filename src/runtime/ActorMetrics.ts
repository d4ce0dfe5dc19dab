import { Metric } from "effect"

/** Metric tag carrying the actor's name on every actor metric. */
export const actorTag = "actor"

/** Messages queued and not yet started, per actor (sampled when a key's worker drains or goes idle). */
export const mailboxDepth = Metric.gauge("mailroom_actor_mailbox_depth", {
  description: "Messages queued and not yet started"
})

/** Messages handled to a reply (successes and typed failures), per actor. */
export const processed = Metric.counter("mailroom_actor_processed_total", {
  description: "Messages handled to a reply",
  incremental: true
})

/** Typed failures replied, per actor. */
export const failed = Metric.counter("mailroom_actor_failed_total", {
  description: "Typed failures replied",
  incremental: true
})

/** Handler defects (dies, exceptions, interruptions), per actor. */
export const defects = Metric.counter("mailroom_actor_defects_total", {
  description: "Handler defects",
  incremental: true
})

/** Child restarts after a defect, per actor. */
export const restarts = Metric.counter("mailroom_actor_restarts_total", {
  description: "Child restarts after a defect",
  incremental: true
})

/** Messages currently parked, per actor. */
export const parked = Metric.gauge("mailroom_actor_parked", { description: "Messages currently parked" })

/** Escalations (restart budgets spent), per actor. */
export const escalations = Metric.counter("mailroom_actor_escalations_total", {
  description: "Restart budgets spent",
  incremental: true
})
