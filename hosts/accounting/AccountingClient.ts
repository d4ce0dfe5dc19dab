import { Context, Effect, Layer } from "effect"
import * as Application from "../../src/commit/Application.js"
import type { PersistenceError } from "../../src/commit/CommitBoundary.js"
import type * as Host from "../../src/commit/Host.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import type * as AccountingMessages from "../contracts/AccountingMessages.js"
import type * as BillingId from "../contracts/BillingId.js"
import type * as GameId from "../contracts/GameId.js"
import * as Accounting from "./Accounting.js"
import * as AccountingHost from "./AccountingHost.js"
import type * as Ledger from "./Ledger.js"
import * as LedgerProjection from "./LedgerProjection.js"

/** Commands a caller may send to Accounting from outside. */
export type AccountingCommand = AccountingMessages.OpenAccounts | AccountingMessages.Deposit

/** Accounting's client: its front door and its queries (which read state, not the mailbox), wherever Accounting runs. */
export class AccountingClient extends Context.Tag("imperial/AccountingClient")<
  AccountingClient,
  {
    /** Sends a command (optionally with its causation/correlation); returns its envelope once acknowledged. */
    readonly send: (
      command: AccountingCommand,
      origin?: Host.Origin
    ) => Effect.Effect<Envelope, Host.SendError>
    /** Balances per account (nations, then the bank); undefined for an unknown game. */
    readonly balances: (
      gameId: GameId.GameId
    ) => Effect.Effect<ReadonlyArray<Ledger.Balance> | undefined, PersistenceError>
    /** Ledger entries, oldest first, projected from the game's audit log. */
    readonly ledger: (
      gameId: GameId.GameId
    ) => Effect.Effect<ReadonlyArray<Ledger.LedgerEntry>, PersistenceError>
    /** Every charge received for the game, in arrival order, projected from its audit log. */
    readonly charges: (
      gameId: GameId.GameId
    ) => Effect.Effect<ReadonlyArray<LedgerProjection.ChargeRecord>, PersistenceError>
    /** Where one billing id stands in the game's history (its audit log). */
    readonly chargeStatus: (
      gameId: GameId.GameId,
      billingId: BillingId.BillingId
    ) => Effect.Effect<ReturnType<typeof LedgerProjection.chargeStatus>, PersistenceError>
    /** The game's ledger, charges and early voids, projected from its audit log (Accounting's tables only). */
    readonly history: (gameId: GameId.GameId) => Effect.Effect<LedgerProjection.History, PersistenceError>
  }
>() {}

/** Accounting's client over the running application. */
export const layer: Layer.Layer<AccountingClient, never, Application.Application> = Layer.effect(
  AccountingClient,
  Effect.map(Application.Application, (app) => {
    const host = app.frontDoor(AccountingHost.definition)
    const history = (gameId: GameId.GameId) => Effect.map(host.audit(gameId), LedgerProjection.project)
    return AccountingClient.of({
      send: Effect.fn("AccountingClient.send")((command: AccountingCommand, origin?: Host.Origin) =>
        host.send(command, origin)
      ),
      balances: (gameId) =>
        Effect.map(host.state(gameId), (state) =>
          state === undefined ? undefined : Accounting.balances(state)
        ),
      ledger: (gameId) => Effect.map(history(gameId), (h) => h.ledger),
      charges: (gameId) => Effect.map(history(gameId), (h) => h.charges),
      chargeStatus: (gameId, billingId) =>
        Effect.map(history(gameId), (h) => LedgerProjection.chargeStatus(h, billingId)),
      history
    })
  })
)
