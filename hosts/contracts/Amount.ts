import { Schema } from "effect"

/**
 * The largest amount, in millions, that one message may carry and one nation may hold. Six nations at the limit
 * sum to 6 × 10^15, below `Number.MAX_SAFE_INTEGER` (about 9 × 10^15), so every balance, the bank's included,
 * and every sum of balances stays an exact integer.
 */
export const limit = 1_000_000_000_000_000

// Checked in this order so each value fails on the first thing wrong with it: 1e20 is too large (not "not whole").
const atMostLimit = Schema.Number.pipe(
  Schema.lessThanOrEqualTo(limit, {
    message: (issue) => `must be at most ${limit} (millions); got ${numberText(issue.actual)}`
  })
)
const wholeMessage = {
  message: (issue: { readonly actual: unknown }) =>
    `must be a whole number of millions; got ${String(issue.actual)}`
}

/** An amount of money in whole millions, zero up to {@link limit} (a starting balance, a balance). */
export const Amount = atMostLimit.pipe(
  Schema.nonNegative({ message: (issue) => `must not be negative; got ${numberText(issue.actual)}` }),
  Schema.int(wholeMessage),
  Schema.annotations({ identifier: "Amount" })
)
/** An amount of money in whole millions, zero up to {@link limit} (a starting balance, a balance). */
export type Amount = typeof Amount.Type

/** An amount of money in whole millions, more than zero and at most {@link limit} (a charge, a deposit, a ledger entry). */
export const PositiveAmount = atMostLimit.pipe(
  Schema.positive({ message: (issue) => `must be more than zero; got ${numberText(issue.actual)}` }),
  Schema.int(wholeMessage),
  Schema.annotations({ identifier: "PositiveAmount" })
)
/** An amount of money in whole millions, more than zero and at most {@link limit} (a charge, a deposit, a ledger entry). */
export type PositiveAmount = typeof PositiveAmount.Type

// internal

// 1e+21 and beyond print in exponent form; spell large integers out so the user sees what they typed.
const numberText = (value: unknown): string =>
  typeof value === "number" && Number.isInteger(value) ? BigInt(value).toString() : String(value)
