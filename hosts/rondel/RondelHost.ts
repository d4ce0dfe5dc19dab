import { Config, Duration } from "effect"
import * as HostDefinition from "../../src/commit/HostDefinition.js"
import type * as BillingId from "../contracts/BillingId.js"
import * as Contracts from "../contracts/Contracts.js"
import * as Rondel from "./Rondel.js"
import * as RondelState from "./RondelState.js"

/** How long a paid move waits for its payment outcome unless the deployment says otherwise. */
export const defaultPaymentDeadline: Duration.Duration = Duration.seconds(60)

/** The deployment's payment deadline: `MAILROOM_PAYMENT_DEADLINE` (e.g. `200 millis`, `2 minutes`), 60 s by default. */
export const paymentDeadlineConfig: Config.Config<Duration.Duration> = Config.duration(
  "MAILROOM_PAYMENT_DEADLINE"
).pipe(Config.withDefault(defaultPaymentDeadline))

/** Options of a Rondel deployment. */
export interface RondelOptions {
  /** How long a paid move waits for its payment outcome before it is rejected and its charge voided (default 60 s). */
  readonly paymentDeadline?: Duration.DurationInput
}

/** Rondel declared as a host with the deployment's options: what it consumes, publishes, sends and schedules. */
export const makeDefinition = (options: RondelOptions = {}) => {
  const paymentDeadline = options.paymentDeadline ?? defaultPaymentDeadline
  return HostDefinition.make({
    name: "rondel",
    state: RondelState.Stored,
    consumes: Contracts.RondelInboundTypes,
    publishes: Contracts.RondelEventTypes,
    sends: Contracts.RondelOutboundTypes,
    schedules: Contracts.RondelScheduledTypes,
    atomicity: "one game: every nation's position and pending paid move",
    decode: (message) => Contracts.decodeRondelInbound(message.type, message.version, message.payload),
    encode: (message: Contracts.RondelInbound | Contracts.RondelEvent | Contracts.RondelOutbound) =>
      Contracts.encodeMessage(message),
    keyOf: (message) => message.gameId,
    // The billing id of a paid move is derived from the Move's message id: stable across redeliveries and replay.
    decide: (state, message, context) =>
      Rondel.decide(state, message, {
        ...context,
        newBillingId: `bill-${context.messageId}` as BillingId.BillingId,
        paymentDeadline
      })
  })
}

/** Rondel declared as a host, with the default payment deadline (60 s). */
export const definition = makeDefinition()
