import type { Duration } from "effect"
import type * as Decision from "../../src/commit/Decision.js"
import type * as BillingId from "../contracts/BillingId.js"

/** What Rondel's decide is given by its host: the message's id and time, and the billing id a paid move would use. */
export interface RondelContext extends Decision.DecideContext {
  /** Billing id for a charge this message may create; the host derives it from the message id, so it is stable across redeliveries. */
  readonly newBillingId: BillingId.BillingId
  /** How long a paid move waits for its payment outcome before it is rejected and its charge voided (per deployment). */
  readonly paymentDeadline: Duration.DurationInput
}
