import { Clock, Duration, Effect, Option, Ref } from "effect"
import * as Application from "../../src/commit/Application.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Faults from "../../src/commit/Faults.js"
import type * as Host from "../../src/commit/Host.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import * as Accounting from "../accounting/Accounting.js"
import * as AccountingHost from "../accounting/AccountingHost.js"
import type * as AccountingState from "../accounting/AccountingState.js"
import type * as Ledger from "../accounting/Ledger.js"
import * as Contracts from "../contracts/Contracts.js"
import type * as GameId from "../contracts/GameId.js"
import * as Nation from "../contracts/Nation.js"
import type * as Space from "../contracts/Space.js"
import type * as Rondel from "../rondel/Rondel.js"
import * as RondelHost from "../rondel/RondelHost.js"
import * as Commands from "./Commands.js"
import * as DeliveryInspector from "./DeliveryInspector.js"
import * as SandboxError from "./SandboxError.js"
import type * as Store from "./Store.js"

/** A message the sandbox put in a host's inbox: the acknowledgment a command prints. */
export interface Sent {
  readonly host: string
  readonly type: string
  readonly messageId: string
}

/** One parked message, from an actor (crashed its handler) or from the relay (Postgres mode). */
export interface ParkedRow {
  readonly id: string
  readonly host: string
  readonly source: "actor" | "relay"
  readonly gameId: string
  readonly type: string
  readonly messageId: string
  readonly attempts: number
  readonly cause: string
}

/** Per-host figures as `stats` prints them. */
export interface HostStatsRow {
  readonly host: string
  readonly mailboxDepth: number
  readonly inFlight: number
  readonly processed: number
  readonly failed: number
  readonly defects: number
  readonly restarts: number
  readonly parked: number
  readonly stoppedKeys: number
}

/** What a successful command reports (the JSON result line is `{ "ok": true, ...result }`). */
export type Result =
  | {
      readonly command: "new-game"
      readonly gameId: string
      readonly nations: ReadonlyArray<Nation.Nation>
      readonly startingBalance: number
      readonly messages: ReadonlyArray<Sent>
    }
  | {
      readonly command: "games"
      readonly current: string | null
      readonly games: ReadonlyArray<{ readonly gameId: string; readonly current: boolean }>
    }
  | { readonly command: "use"; readonly gameId: string }
  | {
      readonly command: "move"
      readonly gameId: string
      readonly nation: Nation.Nation
      readonly space: Space.Space
      readonly messageId: string
    }
  | {
      readonly command: "positions"
      readonly gameId: string
      readonly positions: ReadonlyArray<Rondel.Position>
    }
  | {
      readonly command: "balances"
      readonly gameId: string
      readonly balances: ReadonlyArray<Ledger.Balance>
    }
  | {
      readonly command: "ledger"
      readonly gameId: string
      readonly entries: ReadonlyArray<Ledger.LedgerEntry>
    }
  | {
      readonly command: "charges"
      readonly gameId: string
      readonly charges: ReadonlyArray<AccountingState.Charge>
      readonly voidedBeforeCharge: ReadonlyArray<string>
    }
  | {
      readonly command: "deposit"
      readonly gameId: string
      readonly nation: Nation.Nation
      readonly amount: number
      readonly messageId: string
    }
  | {
      readonly command: "send"
      readonly host: string
      readonly type: string
      readonly gameId: string
      readonly messageId: string
    }
  | { readonly command: "settle"; readonly tookMillis: number }
  | {
      readonly command: "stats"
      readonly boundary: "memory" | "postgres"
      readonly hosts: ReadonlyArray<HostStatsRow>
      readonly relay: { readonly backlog: number; readonly lagMillis: number | null }
    }
  | {
      readonly command: "outbox" | "inbox"
      readonly rows: ReadonlyArray<DeliveryInspector.DeliveryRow>
    }
  | { readonly command: "parked"; readonly parked: ReadonlyArray<ParkedRow> }
  | { readonly command: "redrive"; readonly id: string; readonly host: string }
  | {
      readonly command: "fault"
      readonly armedNow: { readonly fault: string; readonly count: number } | null
      readonly armed: ReadonlyArray<{
        readonly point: string
        readonly host?: string
        readonly remaining: number
      }>
    }
  | {
      readonly command: "help"
      readonly commands: ReadonlyArray<{
        readonly name: string
        readonly usage: string
        readonly summary: string
      }>
    }
  | {
      readonly command: "help"
      readonly name: string
      readonly usage: string
      readonly summary: string
      readonly detail: ReadonlyArray<string>
    }
  | { readonly command: "quit" }

/** Options of a session. */
export interface SessionOptions {
  /** Starting balance of `new-game` when it is not given. */
  readonly balance: number
  /** Message ids the sandbox mints are `<idPrefix>-1`, `<idPrefix>-2`, ... (reproducible runs). */
  readonly idPrefix: string
}

/** A sandbox session: runs parsed commands against the application and remembers the current game. */
export interface Session {
  /** Names of the running hosts. */
  readonly hosts: ReadonlyArray<string>
  /** Message types a host accepts. */
  readonly consumes: (host: string) => ReadonlyArray<string>
  readonly parse: (line: string) => Commands.Parsed | undefined
  readonly execute: (command: Commands.Command) => Effect.Effect<Result, unknown>
  readonly currentGame: Effect.Effect<string | undefined>
  /** Every game id a host knows. */
  readonly games: Effect.Effect<ReadonlyArray<string>>
  /** Ids of every parked message. */
  readonly parkedIds: Effect.Effect<ReadonlyArray<string>>
  /** Message ids this session sent in the current command, in order (for ordering the feed). */
  readonly takeSent: Effect.Effect<ReadonlyArray<string>>
}

/** Builds a session over the running application. */
export const make = (options: SessionOptions): Effect.Effect<Session, never, Store.Services> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const faults = yield* Faults.Faults
    const boundary = yield* CommitBoundary
    const rondel = yield* RondelHost.RondelHost
    const accounting = yield* AccountingHost.AccountingHost
    const inspector = yield* Effect.serviceOption(DeliveryInspector.DeliveryInspector)
    const rondelHost = app.host(RondelHost.definition)
    const accountingHost = app.host(AccountingHost.definition)
    const hosts = [...app.hosts.keys()]
    const current = yield* Ref.make<GameId.GameId | undefined>(undefined)
    const messageCounter = yield* Ref.make(0)
    const gameCounter = yield* Ref.make(0)
    const sent = yield* Ref.make<ReadonlyArray<string>>([])

    // Ids a user chose with `send --message-id` are never minted again (that would turn a fresh command into
    // a duplicate the host drops).
    const chosen = new Set<string>()
    const recordSent = (id: string) => Ref.update(sent, (ids) => [...ids, id])
    const nextMessageId: Effect.Effect<string> = Effect.flatMap(
      Ref.updateAndGet(messageCounter, (n) => n + 1),
      (n) => {
        const id = `${options.idPrefix}-${n}`
        return chosen.has(id) ? nextMessageId : Effect.as(recordSent(id), id)
      }
    )

    const games = Effect.map(Effect.all([rondel.games, accountingHost.keys]), ([a, b]) => [
      ...a,
      ...b.filter((key) => !a.includes(key))
    ]).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))

    const requireGame = Effect.flatMap(Ref.get(current), (gameId) =>
      gameId === undefined
        ? Effect.fail(
            new SandboxError.NoCurrentGame({
              message: "no current game: start one with new-game or pick one with use"
            })
          )
        : Effect.succeed(gameId)
    )

    const unknownGame = (gameId: string, who: string) =>
      new SandboxError.UnknownGame({ message: `${who} knows no game ${gameId} (yet: try settle)` })

    const freshGameId = Effect.gen(function* () {
      const known = yield* games
      while (true) {
        const n = yield* Ref.updateAndGet(gameCounter, (i) => i + 1)
        const id = `game-${n}`
        if (!known.includes(id)) return id as GameId.GameId
      }
    })

    const execute = <In>(host: Host.Host<any, In, any>, message: In) =>
      Effect.flatMap(nextMessageId, (messageId) =>
        Effect.map(host.execute(message, { messageId }), (envelope: Envelope) => envelope.messageId as string)
      )

    const parkedRows = Effect.gen(function* () {
      const rows: Array<ParkedRow> = []
      for (const host of app.hosts.values()) {
        for (const parked of yield* host.actor.parked) {
          rows.push({
            id: parked.id,
            host: host.name,
            source: "actor",
            gameId: parked.key,
            type: parked.message.type,
            messageId: parked.message.messageId,
            attempts: parked.attempts,
            cause: parked.causeText.split("\n")[0] ?? ""
          })
        }
      }
      if (Option.isSome(inspector)) {
        for (const row of yield* inspector.value.parked) {
          rows.push({
            id: row.messageId,
            host: row.host,
            source: "relay",
            gameId: row.key,
            type: row.type,
            messageId: row.messageId,
            attempts: row.attempts,
            cause: row.lastError ?? ""
          })
        }
      }
      return rows
    })

    const notAvailable = (what: string) =>
      new SandboxError.NotAvailable({
        message: `${what} exists only in Postgres mode (--store postgres): the memory boundary hands messages on in process right after the state is saved, so nothing waits in a table`
      })

    const run = (command: Commands.Command): Effect.Effect<Result, unknown> =>
      Commands.Command.$match(command, {
        NewGame: ({ nations, balance }) =>
          Effect.gen(function* () {
            const gameId = yield* freshGameId
            const list = (nations.length === 0 ? Nation.Nations : nations) as Nation.NationList
            const startingBalance = balance ?? options.balance
            // Two independent messages, one per context: if the second is refused the first still stands.
            const first = yield* execute(rondelHost, {
              _tag: "SetToStartingPositions",
              gameId,
              nations: list
            })
            const second = yield* execute(accountingHost, {
              _tag: "OpenAccounts",
              gameId,
              nations: list,
              startingBalance
            }).pipe(
              Effect.mapError((error) => {
                const { tag, message } = SandboxError.describe(error)
                return {
                  _tag: tag,
                  message: `${message} (SetToStartingPositions ${first} was accepted by rondel)`
                }
              })
            )
            yield* Ref.set(current, gameId)
            return {
              command: "new-game",
              gameId,
              nations: list,
              startingBalance,
              messages: [
                { host: rondelHost.name, type: "SetToStartingPositions", messageId: first },
                { host: accountingHost.name, type: "OpenAccounts", messageId: second }
              ]
            } satisfies Result
          }),
        Games: () =>
          Effect.gen(function* () {
            const known = yield* games
            const now = yield* Ref.get(current)
            return {
              command: "games",
              current: now ?? null,
              games: known.map((gameId) => ({ gameId, current: gameId === now }))
            } satisfies Result
          }),
        Use: ({ gameId }) =>
          Effect.gen(function* () {
            if (!(yield* games).includes(gameId)) return yield* unknownGame(gameId, "no host")
            yield* Ref.set(current, gameId)
            return { command: "use", gameId } satisfies Result
          }),
        Move: ({ nation, space }) =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const messageId = yield* execute(rondelHost, { _tag: "Move", gameId, nation, space })
            return { command: "move", gameId, nation, space, messageId } satisfies Result
          }),
        Positions: () =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const positions = yield* rondel.positions(gameId)
            if (positions === undefined) return yield* unknownGame(gameId, "rondel")
            return { command: "positions", gameId, positions } satisfies Result
          }),
        Balances: () =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const balances = yield* accounting.balances(gameId)
            if (balances === undefined) return yield* unknownGame(gameId, "accounting")
            return { command: "balances", gameId, balances } satisfies Result
          }),
        Ledger: () =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            return { command: "ledger", gameId, entries: yield* accounting.ledger(gameId) } satisfies Result
          }),
        Charges: () =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const state = yield* accountingHost.state(gameId)
            const charges = state === undefined ? [] : Accounting.charges(state)
            const voidedBeforeCharge = (state?.voids ?? []).filter(
              (billingId) => !charges.some((charge) => charge.billingId === billingId)
            )
            return { command: "charges", gameId, charges, voidedBeforeCharge } satisfies Result
          }),
        Deposit: ({ nation, amount }) =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const messageId = yield* execute(accountingHost, { _tag: "Deposit", gameId, nation, amount })
            return { command: "deposit", gameId, nation, amount, messageId } satisfies Result
          }),
        Send: ({ host: name, type, payload, messageId }) =>
          Effect.gen(function* () {
            const host = app.hosts.get(name)!
            const gameId = yield* Ref.get(current)
            const filled =
              gameId !== undefined && isObject(payload) && !("gameId" in payload)
                ? { ...payload, gameId }
                : payload
            if (messageId !== undefined) {
              chosen.add(messageId)
              yield* recordSent(messageId)
            }
            const id = messageId ?? (yield* nextMessageId)
            const envelope = yield* host.submit(
              { type, version: Contracts.registry.versionOf(type as never), payload: filled },
              { messageId: id }
            )
            return {
              command: "send",
              host: name,
              type,
              gameId: envelope.key,
              messageId: envelope.messageId
            } satisfies Result
          }),
        Settle: ({ timeout }) =>
          Effect.gen(function* () {
            const start = yield* Clock.currentTimeMillis
            yield* app.settle(timeout === undefined ? {} : { timeout }).pipe(
              Effect.catchTag("SettleTimeout", (error) =>
                Effect.fail(
                  new SandboxError.NotSettled({
                    message: `not settled after ${Duration.format(Duration.millis(error.timeoutMillis))}: ${error.pending} messages queued or in flight, ${error.backlog} committed but undelivered`
                  })
                )
              )
            )
            const end = yield* Clock.currentTimeMillis
            return { command: "settle", tookMillis: end - start } satisfies Result
          }),
        Stats: () =>
          Effect.gen(function* () {
            const stats = yield* app.stats
            const backlog = yield* boundary.backlog
            const lagMillis = Option.isSome(inspector) ? yield* inspector.value.lagMillis : null
            return {
              command: "stats",
              boundary: app.boundary,
              hosts: stats.map((s) => ({
                host: s.host,
                mailboxDepth: s.mailboxDepth,
                inFlight: s.inFlight,
                processed: s.processed,
                failed: s.failed,
                defects: s.defects,
                restarts: s.restarts,
                parked: s.parked,
                stoppedKeys: s.stoppedKeys
              })),
              relay: { backlog, lagMillis }
            } satisfies Result
          }),
        Outbox: () =>
          Option.isSome(inspector)
            ? Effect.map(inspector.value.outbox, (rows): Result => ({ command: "outbox", rows }))
            : Effect.fail(notAvailable("The outbox")),
        Inbox: () =>
          Option.isSome(inspector)
            ? Effect.map(inspector.value.inbox, (rows): Result => ({ command: "inbox", rows }))
            : Effect.fail(notAvailable("The inbox")),
        Parked: () => Effect.map(parkedRows, (parked): Result => ({ command: "parked", parked })),
        Redrive: ({ id }) =>
          Effect.gen(function* () {
            for (const host of app.hosts.values()) {
              const done = yield* host.actor.redrive(id).pipe(
                Effect.as(true),
                Effect.catchTag("NotParked", () => Effect.succeed(false))
              )
              if (done) return { command: "redrive", id, host: host.name } satisfies Result
            }
            if (Option.isSome(inspector)) {
              const rows = yield* inspector.value.parked
              const row = rows.find((r) => r.messageId === id)
              if (row !== undefined && (yield* inspector.value.redrive(id))) {
                return { command: "redrive", id, host: row.host } satisfies Result
              }
            }
            return yield* new SandboxError.NotParked({
              message: `nothing parked has id "${id}" (see parked)`
            })
          }),
        Fault: ({ fault, count }) =>
          Effect.gen(function* () {
            if (fault === "clear") yield* faults.clear
            else if (fault === "save" || fault === "publish" || fault === "dispatch")
              yield* faults.arm(fault, count)
            else if (fault !== undefined)
              yield* faults.armCrash({ host: fault.slice("crash-".length) }, count)
            const armed = yield* faults.armed
            return {
              command: "fault",
              armedNow: fault === undefined || fault === "clear" ? null : { fault, count },
              armed
            } satisfies Result
          }),
        Help: ({ topic }) => {
          const spec = topic === undefined ? undefined : Commands.specOf(topic)
          return Effect.succeed<Result>(
            spec === undefined
              ? {
                  command: "help",
                  commands: Commands.specs.map((s) => ({ name: s.name, usage: s.usage, summary: s.summary }))
                }
              : {
                  command: "help",
                  name: spec.name,
                  usage: spec.usage,
                  summary: spec.summary,
                  detail: spec.detail
                }
          )
        },
        Quit: () => Effect.succeed<Result>({ command: "quit" })
      })

    return {
      hosts,
      consumes: (host) => app.hosts.get(host)?.definition.consumes ?? [],
      parse: (line) => Commands.parse(line, { hosts }),
      execute: run,
      currentGame: Ref.get(current),
      games,
      parkedIds: Effect.map(parkedRows, (rows) => rows.map((row) => row.id)).pipe(
        Effect.orElseSucceed((): ReadonlyArray<string> => [])
      ),
      takeSent: Ref.getAndSet(sent, [])
    } satisfies Session
  })

// internal

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
