import type { MetricLabel } from "effect"
import * as ActorMetrics from "../ActorMetrics.js"

/** How many replies may go unreported to the processed counter before a flush. */
const flushEvery = 256

/** The plain counters of one actor, and their batched export to Effect metrics. */
export class Counters {
  depth = 0
  inFlight = 0
  processed = 0
  failed = 0
  defects = 0
  restarts = 0
  restarting = 0
  workers = 0
  passivations = 0
  private unflushed = 0

  constructor(private readonly tags: ReadonlyArray<MetricLabel.MetricLabel>) {}

  /** Counts one reply; metrics are flushed every few replies or when `drained`. */
  replied(drained: boolean): void {
    this.inFlight--
    this.processed++
    if (++this.unflushed >= flushEvery || drained) this.flush()
  }

  failure(): void {
    this.failed++
    ActorMetrics.failed.unsafeUpdate(1, this.tags)
  }

  defect(): void {
    this.defects++
    ActorMetrics.defects.unsafeUpdate(1, this.tags)
  }

  restart(): void {
    this.restarts++
    ActorMetrics.restarts.unsafeUpdate(1, this.tags)
  }

  escalation(): void {
    ActorMetrics.escalations.unsafeUpdate(1, this.tags)
  }

  flush(): void {
    if (this.unflushed > 0) {
      ActorMetrics.processed.unsafeUpdate(this.unflushed, this.tags)
      this.unflushed = 0
    }
    ActorMetrics.mailboxDepth.unsafeUpdate(this.depth, this.tags)
  }
}
