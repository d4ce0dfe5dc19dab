import { Effect } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import type * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as AccountingHost from "../../hosts/accounting/AccountingHost.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import type * as Contracts from "../../hosts/contracts/Contracts.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as RondelMessages from "../../hosts/contracts/RondelMessages.js"
import type * as Space from "../../hosts/contracts/Space.js"
import * as LedgerProjection from "../../hosts/accounting/LedgerProjection.js"
import type * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelHost from "../../hosts/rondel/RondelHost.js"
import * as TestApp from "../../src/testing/TestApp.js"

export const rondel = RondelHost.definition
export const accounting = AccountingHost.definition

/** Both contexts of the reference application on the test layer. */
export const layer = (options?: TestApp.TestAppOptions) => TestApp.layer([rondel, accounting], options)

export const game = (id: string): GameId.GameId => GameId.GameId.make(id)

export type Nations = readonly [Nation.Nation, ...Array<Nation.Nation>]

/** Sends a command to Rondel's front door. */
export const toRondel = (command: RondelClient.RondelCommand) =>
  Effect.flatMap(TestApp.host(rondel), (host) => host.send(command))

/** Sends a command to Accounting's front door. */
export const toAccounting = (command: AccountingClient.AccountingCommand) =>
  Effect.flatMap(TestApp.host(accounting), (host) => host.send(command))

export const start = (gameId: GameId.GameId, nations: Nations) =>
  RondelMessages.SetToStartingPositions.make({ gameId, nations })

export const open = (gameId: GameId.GameId, nations: Nations, startingBalance: number) =>
  AccountingMessages.OpenAccounts.make({ gameId, nations, startingBalance })

export const move = (gameId: GameId.GameId, nation: Nation.Nation, space: Space.Space) =>
  RondelMessages.Move.make({ gameId, nation, space })

export const deposit = (gameId: GameId.GameId, nation: Nation.Nation, amount: number) =>
  AccountingMessages.Deposit.make({ gameId, nation, amount })

/** A game with its starting positions set and its accounts opened, settled. */
export const setUp = (gameId: GameId.GameId, nations: Nations, startingBalance: number) =>
  Effect.gen(function* () {
    yield* toRondel(start(gameId, nations))
    yield* toAccounting(open(gameId, nations, startingBalance))
    yield* TestApp.settle()
  })

/** A nation's confirmed space (null = off the wheel) and pending move, as Rondel's state has them. */
export const positionOf = (gameId: GameId.GameId, nation: Nation.Nation) =>
  Effect.map(TestApp.stateOf(rondel, gameId), (state) => {
    const entry = state?.nations.find((n) => n.nation === nation)
    return { current: entry?.position, pending: entry?.pending ?? null }
  })

/** Balances by account (nations and Bank), derived from Accounting's ledger. */
export const balancesOf = (gameId: GameId.GameId) =>
  Effect.map(TestApp.stateOf(accounting, gameId), (state) =>
    Object.fromEntries(
      state === undefined ? [] : Accounting.balances(state).map((b) => [b.account, b.amount])
    )
  )

/** Every event payload of one type the recorder saw committed for a game. */
export const eventsOf = <T extends Contracts.Message["_tag"]>(gameId: GameId.GameId, type: T) =>
  Effect.flatMap(TestApp.delivered, (recorder) =>
    Effect.map(recorder.published({ type, key: gameId }), (envelopes) =>
      envelopes.map((e) => e.payload as Extract<Contracts.Message, { readonly _tag: T }>)
    )
  )

/** Every command payload of one type the recorder saw committed for a game. */
export const commandsOf = <T extends Contracts.Message["_tag"]>(gameId: GameId.GameId, type: T) =>
  Effect.flatMap(TestApp.delivered, (recorder) =>
    Effect.map(recorder.dispatched({ type, key: gameId }), (envelopes) =>
      envelopes.map((e) => e.payload as Extract<Contracts.Message, { readonly _tag: T }>)
    )
  )

/** Both hosts' state of one game, for "nothing changed" comparisons. */
export const snapshot = (gameId: GameId.GameId) =>
  Effect.all({ rondel: TestApp.stateOf(rondel, gameId), accounting: TestApp.stateOf(accounting, gameId) })

/** A game's ledger and charge history, projected from Accounting's audit log (as the host's queries do). */
export const historyOf = (gameId: string) =>
  Effect.map(TestApp.auditOf(accounting.name, gameId), LedgerProjection.project)
