import * as HostDefinition from "../../src/commit/HostDefinition.js"
import * as Contracts from "../contracts/Contracts.js"
import * as Accounting from "./Accounting.js"
import * as AccountingState from "./AccountingState.js"

/** Accounting declared as a host: what it consumes and publishes, and its pure ledger decision. */
export const definition = HostDefinition.make({
  name: "accounting",
  state: AccountingState.Stored,
  consumes: Contracts.AccountingInboundTypes,
  publishes: Contracts.AccountingEventTypes,
  sends: [],
  atomicity: "one game's ledger: its accounts, charges and voids",
  decode: (message) => Contracts.decodeAccountingInbound(message.type, message.version, message.payload),
  encode: (message: Contracts.AccountingEvent) => Contracts.encodeMessage(message),
  keyOf: (message) => message.gameId,
  decide: Accounting.decide
})
