import { Schema } from "effect"
import * as AccountingMessages from "./AccountingMessages.js"
import * as ChargeMessages from "./ChargeMessages.js"
import * as Registry from "./Registry.js"
import * as RondelMessages from "./RondelMessages.js"

/** Every message Rondel handles: its own commands, Accounting's answers to its charges and its own payment deadlines. */
export const RondelInbound = Schema.Union(
  RondelMessages.SetToStartingPositions,
  RondelMessages.Move,
  AccountingMessages.RondelInvoicePaid,
  AccountingMessages.RondelInvoicePaymentFailed,
  RondelMessages.PaymentDeadline
)
/** Every message Rondel handles: its own commands, Accounting's answers to its charges and its own payment deadlines. */
export type RondelInbound = typeof RondelInbound.Type
/** Type names of {@link RondelInbound}. */
export const RondelInboundTypes = typesOf(RondelInbound)

/** Messages Rondel schedules for itself (a subset of {@link RondelInbound}). */
export const RondelScheduled = RondelMessages.PaymentDeadline
/** A message Rondel schedules for itself. */
export type RondelScheduled = typeof RondelScheduled.Type
/** Type names of {@link RondelScheduled}. */
export const RondelScheduledTypes: ReadonlyArray<RondelScheduled["_tag"]> = [
  Registry.tagOf(RondelScheduled) as RondelScheduled["_tag"]
]

/** Every event Rondel publishes. */
export const RondelEvents = Schema.Union(
  RondelMessages.PositionedAtStart,
  RondelMessages.ActionDetermined,
  RondelMessages.MoveToActionSpaceRejected,
  RondelMessages.MovementAwaitingPayment
)
/** An event Rondel publishes. */
export type RondelEvent = typeof RondelEvents.Type
/** Type names of {@link RondelEvents}. */
export const RondelEventTypes = typesOf(RondelEvents)

/** Every command Rondel sends (to Accounting). */
export const RondelOutbound = Schema.Union(ChargeMessages.ChargeMovement, ChargeMessages.VoidCharge)
/** A command Rondel sends (to Accounting). */
export type RondelOutbound = typeof RondelOutbound.Type
/** Type names of {@link RondelOutbound}. */
export const RondelOutboundTypes = typesOf(RondelOutbound)

/** Every message Accounting handles: its own commands and Rondel's charges. */
export const AccountingInbound = Schema.Union(
  AccountingMessages.OpenAccounts,
  ChargeMessages.ChargeMovement,
  ChargeMessages.VoidCharge,
  AccountingMessages.Deposit
)
/** Every message Accounting handles: its own commands and Rondel's charges. */
export type AccountingInbound = typeof AccountingInbound.Type
/** Type names of {@link AccountingInbound}. */
export const AccountingInboundTypes = typesOf(AccountingInbound)

/** Every event Accounting publishes. */
export const AccountingEvents = Schema.Union(
  AccountingMessages.AccountsOpened,
  AccountingMessages.RondelInvoicePaid,
  AccountingMessages.RondelInvoicePaymentFailed,
  AccountingMessages.RondelChargeRefunded,
  AccountingMessages.FundsDeposited,
  AccountingMessages.DepositRejected,
  AccountingMessages.HeldUntilAccountsOpen
)
/** An event Accounting publishes. */
export type AccountingEvent = typeof AccountingEvents.Type
/** Type names of {@link AccountingEvents}. */
export const AccountingEventTypes = typesOf(AccountingEvents)

/** Every published message type with the version this release writes (all v1 so far). */
export const registry = Registry.make([
  Registry.define(RondelMessages.SetToStartingPositions),
  Registry.define(RondelMessages.Move),
  Registry.define(RondelMessages.PositionedAtStart),
  Registry.define(RondelMessages.ActionDetermined),
  Registry.define(RondelMessages.MoveToActionSpaceRejected),
  Registry.define(RondelMessages.MovementAwaitingPayment),
  Registry.define(RondelMessages.PaymentDeadline),
  Registry.define(ChargeMessages.ChargeMovement),
  Registry.define(ChargeMessages.VoidCharge),
  Registry.define(AccountingMessages.OpenAccounts),
  Registry.define(AccountingMessages.Deposit),
  Registry.define(AccountingMessages.AccountsOpened),
  Registry.define(AccountingMessages.RondelInvoicePaid),
  Registry.define(AccountingMessages.RondelInvoicePaymentFailed),
  Registry.define(AccountingMessages.RondelChargeRefunded),
  Registry.define(AccountingMessages.FundsDeposited),
  Registry.define(AccountingMessages.DepositRejected),
  Registry.define(AccountingMessages.HeldUntilAccountsOpen)
])

/** Any message published by Rondel or Accounting. */
export type Message = RondelInbound | RondelEvent | RondelOutbound | AccountingInbound | AccountingEvent

/** Decodes an untrusted payload of the given type and version into a message, or an `InvalidMessage` naming the field. */
export const decodeMessage: Registry.Decoder<Message> = registry.decode

/** Encodes a message at its current version for an envelope. */
export const encodeMessage: (message: Message) => Registry.EncodedMessage = registry.encode

/** Decodes a message Rondel handles; other types are refused. */
export const decodeRondelInbound: Registry.Decoder<RondelInbound> = registry.narrow(
  RondelInboundTypes,
  "Rondel"
)

/** Decodes a message Accounting handles; other types are refused. */
export const decodeAccountingInbound: Registry.Decoder<AccountingInbound> = registry.narrow(
  AccountingInboundTypes,
  "Accounting"
)

// internal

function typesOf<Members extends ReadonlyArray<Schema.Schema.Any>>(
  union: Schema.Union<Members>
): ReadonlyArray<Schema.Schema.Type<Members[number]>["_tag"]> {
  return union.members.map(Registry.tagOf)
}
