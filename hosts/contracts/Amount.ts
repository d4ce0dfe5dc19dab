import { Schema } from "effect"

const wholeMillions = Schema.Number.pipe(
  Schema.int({ message: (issue) => `must be a whole number of millions; got ${String(issue.actual)}` })
)

/** An amount of money in whole millions, zero or more (a starting balance, a balance). */
export const Amount = wholeMillions.pipe(
  Schema.nonNegative({ message: (issue) => `must not be negative; got ${String(issue.actual)}` }),
  Schema.annotations({ identifier: "Amount" })
)
/** An amount of money in whole millions, zero or more (a starting balance, a balance). */
export type Amount = typeof Amount.Type

/** An amount of money in whole millions, more than zero (a charge, a deposit, a ledger entry). */
export const PositiveAmount = wholeMillions.pipe(
  Schema.positive({ message: (issue) => `must be more than zero; got ${String(issue.actual)}` }),
  Schema.annotations({ identifier: "PositiveAmount" })
)
/** An amount of money in whole millions, more than zero (a charge, a deposit, a ledger entry). */
export type PositiveAmount = typeof PositiveAmount.Type
