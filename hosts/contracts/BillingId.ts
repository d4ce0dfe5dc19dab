import { Schema } from "effect"

/** Identifies one charge for a rondel move; chosen by Rondel, used by Accounting to apply the charge once. */
export const BillingId = Schema.String.pipe(
  Schema.filter((s) =>
    s.trim().length === 0
      ? "must not be empty"
      : s.trim() !== s
        ? `must not start or end with whitespace; got ${JSON.stringify(s)}`
        : s.length > 256
          ? `must be at most 256 characters; got ${s.length}`
          : undefined
  ),
  Schema.annotations({
    arbitrary: () => (fc) => fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,40}$/)
  }),
  Schema.brand("BillingId"),
  Schema.annotations({ identifier: "BillingId" })
)
/** Identifies one charge for a rondel move; chosen by Rondel, used by Accounting to apply the charge once. */
export type BillingId = typeof BillingId.Type
