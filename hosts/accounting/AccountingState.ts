import { Schema } from "effect"
import * as Versioned from "../../src/commit/Versioned.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import * as AccountingMessages from "../contracts/AccountingMessages.js"
import * as Amount from "../contracts/Amount.js"
import * as BillingId from "../contracts/BillingId.js"
import * as ChargeMessages from "../contracts/ChargeMessages.js"
import * as GameId from "../contracts/GameId.js"
import * as Nation from "../contracts/Nation.js"
import * as AccountingStateV1 from "./internal/accountingStateV1.js"

/**
 * How many settled charges, early voids and handled deposit ids a game's state remembers, newest kept. A duplicate
 * older than that is dropped by the inbox of the durable boundary (the memory boundary hands it to decide again).
 */
export const recentLimit = 16

/** A game's opened accounts: one per nation, each funded with the starting balance. */
export const Accounts = Schema.Struct({
  nations: Schema.NonEmptyArray(Nation.Nation),
  startingBalance: Amount.Amount
}).annotations({ identifier: "Accounts" })
/** A game's opened accounts: one per nation, each funded with the starting balance. */
export type Accounts = typeof Accounts.Type

/** What became of a rondel charge: paid, failed, refused because voided first, or paid then refunded. */
export const ChargeStatus = Schema.Literal("Paid", "Failed", "Voided", "Refunded").annotations({
  identifier: "ChargeStatus"
})
/** What became of a rondel charge: paid, failed, refused because voided first, or paid then refunded. */
export type ChargeStatus = typeof ChargeStatus.Type

/** A rondel charge as Accounting received it, and its outcome. */
export const Charge = Schema.Struct({
  billingId: BillingId.BillingId,
  nation: Nation.Nation,
  amount: Amount.PositiveAmount,
  status: ChargeStatus,
  /** Why a `Failed` charge failed. */
  reason: Schema.optionalWith(AccountingMessages.PaymentFailureReason, { exact: true })
}).annotations({ identifier: "Charge" })
/** A rondel charge as Accounting received it, and its outcome. */
export type Charge = typeof Charge.Type

/** A charge that can no longer change: its billing id and final status, kept only to recognise a duplicate. */
export const SettledCharge = Schema.Struct({
  billingId: BillingId.BillingId,
  status: ChargeStatus
}).annotations({ identifier: "SettledCharge" })
/** A charge that can no longer change: its billing id and final status, kept only to recognise a duplicate. */
export type SettledCharge = typeof SettledCharge.Type

/** A message that arrived before the game's accounts were opened, with its id; applied when they are. */
export const Held = Schema.Struct({
  messageId: Envelope.MessageId,
  message: Schema.Union(ChargeMessages.ChargeMovement, ChargeMessages.VoidCharge, AccountingMessages.Deposit)
}).annotations({ identifier: "Held" })
/** A message that arrived before the game's accounts were opened, with its id; applied when they are. */
export type Held = typeof Held.Type

/**
 * One game's books, bounded: what the rules still need, nothing of the history (the ledger and every charge's story
 * are in the audit log; see `LedgerProjection`). Its size does not grow with the game's length: at most one voidable
 * charge per nation, `recentLimit` settled charges, early voids and deposit ids, and the messages held until the
 * accounts open.
 */
export const AccountingState = Schema.Struct({
  gameId: GameId.GameId,
  /** Null until OpenAccounts. */
  accounts: Schema.NullOr(Accounts),
  /** Each nation's balance in millions ({} until opened); the bank's is minus their sum (money is conserved). */
  balances: Schema.partial(Schema.Record({ key: Nation.Nation, value: Amount.Amount })),
  /**
   * Paid charges a void may still refund: each nation's latest charge, while paid. A nation's next charge settles
   * it for good, since Rondel voids a charge before it sends the nation's next one (same producer, same order).
   */
  voidable: Schema.Array(Charge),
  /** The latest charges settled for good, oldest first, at most `recentLimit`. */
  settled: Schema.Array(SettledCharge),
  /** Voids that came before their charge (only a hand-sent void can), oldest first, at most `recentLimit`. */
  earlyVoids: Schema.Array(BillingId.BillingId),
  /** Ids of the latest Deposit messages handled, oldest first, at most `recentLimit`. */
  deposits: Schema.Array(Envelope.MessageId),
  /** Charges, voids and deposits that arrived before OpenAccounts, in arrival order (empty once opened). */
  held: Schema.Array(Held)
}).annotations({ identifier: "AccountingState" })
/** One game's books, bounded: what the rules still need, nothing of the history. */
export type AccountingState = typeof AccountingState.Type

/** The version of {@link AccountingState}'s shape this release writes. */
export const version = 2

/** The stored form of a state: carries `schemaVersion`; a v1 state (the whole ledger and history) is upcast on load. */
export const Stored = Versioned.state(AccountingState, {
  version,
  upcasts: [Versioned.upcast(1, AccountingStateV1.AccountingStateV1, (old) => fromV1(old))]
})

/** JSON codec for a stored accounting state (a database column, a snapshot file). */
export const AccountingStateFromJson = Schema.parseJson(Stored)

/** The books of a game nobody has opened accounts for yet. */
export const empty = (gameId: GameId.GameId): AccountingState => ({
  gameId,
  accounts: null,
  balances: {},
  voidable: [],
  settled: [],
  earlyVoids: [],
  deposits: [],
  held: []
})

/** The list with `item` appended, keeping only the newest `recentLimit`. */
export const remember = <A>(items: ReadonlyArray<A>, item: A): ReadonlyArray<A> =>
  items.length < recentLimit ? [...items, item] : [...items.slice(items.length - recentLimit + 1), item]

/**
 * A v1 state (ledger, every charge, every void, every deposit id) as today's bounded state: balances summed from
 * the ledger, each nation's latest charge voidable while paid, the rest settled, the newest of each list kept.
 */
export const fromV1 = (old: AccountingStateV1.AccountingStateV1): AccountingState => {
  const balances: Record<string, number> = {}
  for (const nation of old.accounts?.nations ?? []) balances[nation] = 0
  for (const entry of old.ledger) {
    if (entry.to !== "Bank") balances[entry.to] = (balances[entry.to] ?? 0) + entry.amount
    if (entry.from !== "Bank") balances[entry.from] = (balances[entry.from] ?? 0) - entry.amount
  }
  const latest = new Map<string, AccountingStateV1.ChargeV1>()
  for (const charge of old.charges) latest.set(charge.nation, charge)
  const voidable = [...latest.values()].filter((charge) => charge.status === "Paid")
  const settled = old.charges
    .filter((charge) => !voidable.includes(charge))
    .map((charge) => ({ billingId: charge.billingId, status: charge.status }))
  const charged = new Set(old.charges.map((charge) => charge.billingId))
  return {
    gameId: old.gameId,
    accounts: old.accounts,
    balances: balances as AccountingState["balances"],
    voidable,
    settled: settled.slice(-recentLimit),
    earlyVoids: old.voids.filter((id) => !charged.has(id)).slice(-recentLimit),
    deposits: old.deposits.slice(-recentLimit),
    held: []
  }
}
