import { Schema } from "effect"
import * as Amount from "./Amount.js"
import * as BillingId from "./BillingId.js"
import * as GameId from "./GameId.js"
import * as Nation from "./Nation.js"

/** Rondel asks Accounting to take the cost of a long move from a nation, once per billing id. */
export const ChargeMovement = Schema.TaggedStruct("ChargeMovement", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  billingId: BillingId.BillingId,
  amount: Amount.PositiveAmount
}).annotations({ identifier: "ChargeMovement" })
/** Rondel asks Accounting to take the cost of a long move from a nation, once per billing id. */
export type ChargeMovement = typeof ChargeMovement.Type

/** Rondel withdraws a charge it no longer wants: refunded if paid, never applied if it arrives later. */
export const VoidCharge = Schema.TaggedStruct("VoidCharge", {
  gameId: GameId.GameId,
  nation: Nation.Nation,
  billingId: BillingId.BillingId
}).annotations({ identifier: "VoidCharge" })
/** Rondel withdraws a charge it no longer wants: refunded if paid, never applied if it arrives later. */
export type VoidCharge = typeof VoidCharge.Type
