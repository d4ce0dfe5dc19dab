import { Clock, Duration, Effect, Option, Ref } from "effect"
import * as Application from "../../src/commit/Application.js"
import { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import * as Faults from "../../src/commit/Faults.js"
import * as Replay from "../../src/commit/Replay.js"
import type * as FrontDoor from "../../src/commit/FrontDoor.js"
import { Journal } from "../../src/operate/Journal.js"
import * as MemoryJournal from "../../src/operate/MemoryJournal.js"
import * as Timers from "../../src/commit/Timers.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import * as Accounting from "../accounting/Accounting.js"
import * as AccountingClient from "../accounting/AccountingClient.js"
import * as AccountingHost from "../accounting/AccountingHost.js"
import * as Contracts from "../contracts/Contracts.js"
import type * as GameId from "../contracts/GameId.js"
import * as Nation from "../contracts/Nation.js"
import * as RondelClient from "../rondel/RondelClient.js"
import * as RondelHost from "../rondel/RondelHost.js"
import * as Commands from "./Commands.js"
import * as Delivery from "./Delivery.js"
import * as Drawings from "./Drawings.js"
import * as ImperialApp from "./ImperialApp.js"
import * as DeliveryInspector from "./DeliveryInspector.js"
import * as Names from "./Names.js"
import * as Parser from "./Parser.js"
import * as SandboxClock from "./SandboxClock.js"
import * as SandboxError from "./SandboxError.js"
import * as Silence from "./Silence.js"
import type * as Result from "./Result.js"
import type * as Boundary from "./Boundary.js"

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
  readonly parse: (line: string) => Parser.Parsed | undefined
  readonly execute: (command: Commands.Command) => Effect.Effect<Result.Result, unknown>
  readonly currentGame: Effect.Effect<string | undefined>
  /** Every game id a host knows. */
  readonly games: Effect.Effect<ReadonlyArray<string>>
  /** Ids of every parked message. */
  readonly parkedIds: Effect.Effect<ReadonlyArray<string>>
  /** Message ids this session sent in the current command, in order (for ordering the feed). */
  readonly takeSent: Effect.Effect<ReadonlyArray<string>>
}

/** Builds a session over the running application. */
export const make = (options: SessionOptions): Effect.Effect<Session, never, Boundary.Services> =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const faults = yield* Faults.Faults
    const boundary = yield* CommitBoundary
    const rondel = yield* RondelClient.RondelClient
    const accounting = yield* AccountingClient.AccountingClient
    const inspector = yield* Effect.serviceOption(DeliveryInspector.DeliveryInspector)
    const delivery = yield* Delivery.make
    // Postgres mode reads the boxes too (the boundary provides a journal); in memory, the hosts' audit logs.
    const provided = yield* Effect.serviceOption(Journal)
    const journal = Option.isSome(provided)
      ? provided.value
      : yield* MemoryJournal.make(ImperialApp.definitions)
    const timers = yield* Timers.Timers
    const clock = yield* SandboxClock.SandboxClock
    const silence = yield* Silence.Silence
    const timerRows = (
      now: number,
      list: ReadonlyArray<Timers.PendingTimer>
    ): ReadonlyArray<Result.TimerRow> =>
      list.map((t) => ({
        messageId: t.messageId,
        dueAt: t.dueAt,
        dueInMillis: t.dueAt - now,
        host: t.host,
        destination: t.destination,
        type: t.type,
        gameId: t.key,
        cause: t.causationId
      }))
    const rondelHost = app.frontDoor(RondelHost.definition)
    const accountingHost = app.frontDoor(AccountingHost.definition)
    const hosts = [...app.frontDoors.keys()]
    const current = yield* Ref.make<GameId.GameId | undefined>(undefined)
    const messageCounter = yield* Ref.make(0)
    const gameCounter = yield* Ref.make(0)
    const sent = yield* Ref.make<ReadonlyArray<string>>([])

    // Ids a user chose with `send --message-id` are never minted again (that would turn a fresh command into
    // a duplicate the host drops).
    const chosen = new Set<string>()
    const recordSent = (id: string) => Ref.update(sent, (ids) => [...ids, id])

    /**
     * Runs `use` with the next message id, which is used up only when the message was accepted: a message
     * refused before it was stored (it does not decode, the boundary refused it) leaves the numbering alone.
     * Any other failure (a lost connection) may come after the message was stored, so that id is never minted again.
     */
    const withMessageId = <A, E>(use: (id: string) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.flatMap(Ref.get(messageCounter), (last) => {
        let n = last + 1
        while (chosen.has(`${options.idPrefix}-${n}`)) n++
        const id = `${options.idPrefix}-${n}`
        return use(id).pipe(
          Effect.tap(() => Effect.zipRight(Ref.set(messageCounter, n), recordSent(id))),
          Effect.tapError((error) => (refusedBeforeStored(error) ? Effect.void : Ref.set(messageCounter, n)))
        )
      })

    // Every game id either host has state for: a new game never reuses one.
    const stored = Effect.map(Effect.all([rondel.games, accountingHost.keys]), ([a, b]) => [
      ...a,
      ...b.filter((key) => !a.includes(key))
    ])
    // The games that exist: rondel placed its nations, or accounting opened its accounts. Accounting also keeps
    // books for a game it never opened (a deposit it refused, a void ahead of its charge): that is no game.
    const games = Effect.gen(function* () {
      const placed = yield* rondel.games
      const opened: Array<string> = []
      for (const key of yield* accountingHost.keys) {
        if (placed.includes(key)) continue
        const books = yield* accountingHost.state(key)
        if (books?.accounts != null) opened.push(key)
      }
      return [...placed, ...opened]
    })

    const requireGame = Effect.flatMap(Ref.get(current), (gameId) =>
      gameId === undefined
        ? Effect.fail(
            new SandboxError.NoCurrentGame({
              message: "no current game: start one with new-game or pick one with use"
            })
          )
        : Effect.succeed(gameId)
    )

    // A game the session made may not be handled yet: its messages can still be queued or in flight.
    const notYet = (host: string, gameId: string) =>
      new SandboxError.UnknownGame({
        message: `${host} knows no game ${gameId} yet (its messages may still be on their way: try settle)`
      })

    const freshGameId = Effect.gen(function* () {
      const known = yield* stored
      while (true) {
        const n = yield* Ref.updateAndGet(gameCounter, (i) => i + 1)
        const id = `game-${n}`
        if (!known.includes(id)) return id as GameId.GameId
      }
    })

    const send = <In>(host: FrontDoor.FrontDoor<any, In, any>, message: In) =>
      withMessageId((messageId) =>
        Effect.map(host.send(message, { messageId }), (envelope: Envelope) => envelope.messageId as string)
      )

    const run = (command: Commands.Command): Effect.Effect<Result.Result, unknown> =>
      Commands.Command.$match(command, {
        NewGame: ({ nations, balance }) =>
          Effect.gen(function* () {
            const gameId = yield* freshGameId
            const list = (nations.length === 0 ? Nation.Nations : nations) as Nation.NationList
            const startingBalance = balance ?? options.balance
            // Two independent messages, one per context: if the second is refused the first still stands.
            const first = yield* send(rondelHost, {
              _tag: "SetToStartingPositions",
              gameId,
              nations: list
            })
            const second = yield* send(accountingHost, {
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
            } satisfies Result.Result
          }),
        Games: () =>
          Effect.gen(function* () {
            const known = yield* games
            const now = yield* Ref.get(current)
            return {
              command: "games",
              current: now ?? null,
              games: known.map((gameId) => ({ gameId, current: gameId === now }))
            } satisfies Result.Result
          }),
        Use: ({ gameId }) =>
          Effect.gen(function* () {
            const known = yield* games
            if (!known.includes(gameId)) {
              return yield* new SandboxError.UnknownGame({
                message:
                  known.length === 0
                    ? `no game ${gameId}: there are no games yet (start one with new-game)`
                    : `no game ${gameId}${Names.didYouMean(known, gameId, { maxEdits: 1 })}; games: ${known.join(", ")}`
              })
            }
            yield* Ref.set(current, gameId)
            return { command: "use", gameId } satisfies Result.Result
          }),
        Move: ({ nation, space }) =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const messageId = yield* send(rondelHost, { _tag: "Move", gameId, nation, space })
            return { command: "move", gameId, nation, space, messageId } satisfies Result.Result
          }),
        Positions: () =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const positions = yield* rondel.positions(gameId)
            if (positions === undefined) return yield* notYet("rondel", gameId)
            return { command: "positions", gameId, positions } satisfies Result.Result
          }),
        Balances: () =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const books = yield* accountingHost.state(gameId)
            if (books?.accounts == null) return yield* notYet("accounting", gameId)
            const balances = Accounting.balances(books)
            return { command: "balances", gameId, balances } satisfies Result.Result
          }),
        Ledger: () =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            return {
              command: "ledger",
              gameId,
              entries: yield* accounting.ledger(gameId)
            } satisfies Result.Result
          }),
        Charges: () =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const { charges, voidedBeforeCharge } = yield* accounting.history(gameId)
            return { command: "charges", gameId, charges, voidedBeforeCharge } satisfies Result.Result
          }),
        Deposit: ({ nation, amount }) =>
          Effect.gen(function* () {
            const gameId = yield* requireGame
            const messageId = yield* send(accountingHost, { _tag: "Deposit", gameId, nation, amount })
            return { command: "deposit", gameId, nation, amount, messageId } satisfies Result.Result
          }),
        Send: ({ host: name, type, payload, messageId }) =>
          Effect.gen(function* () {
            const host = app.frontDoors.get(name)!
            const gameId = yield* Ref.get(current)
            const filled =
              gameId !== undefined && isObject(payload) && !("gameId" in payload)
                ? { ...payload, gameId }
                : payload
            const sendWire = (id: string) =>
              host.sendWire(
                { type, version: Contracts.registry.versionOf(type as never), payload: filled },
                { messageId: id }
              )
            const envelope =
              messageId === undefined
                ? yield* withMessageId(sendWire)
                : yield* sendWire(messageId).pipe(
                    Effect.tap(() => {
                      chosen.add(messageId)
                      return recordSent(messageId)
                    }),
                    Effect.tapError((error) =>
                      Effect.sync(() => {
                        if (!refusedBeforeStored(error)) chosen.add(messageId)
                      })
                    )
                  )
            return {
              command: "send",
              host: name,
              type,
              gameId: envelope.key,
              messageId: envelope.messageId
            } satisfies Result.Result
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
            return { command: "settle", tookMillis: end - start } satisfies Result.Result
          }),
        Stats: () =>
          Effect.gen(function* () {
            const stats = yield* app.stats
            const boxes = Option.isSome(inspector) ? yield* inspector.value.boxes : undefined
            // Counted from the boxes when there are any: a storage that cannot be reached is shown, not a failure.
            const backlog =
              boxes === undefined
                ? yield* boundary.backlog
                : boxes.reduce((sum, b) => sum + b.outboxPending + b.inboxPending, 0)
            const lagMillis = boxes === undefined ? null : Math.max(0, ...boxes.map((b) => b.lagMillis))
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
              relay: { backlog, lagMillis },
              timers:
                boxes === undefined
                  ? Timers.counts(yield* timers.pending, yield* clock.now, hosts)
                  : boxes.map(({ host, scheduled, overdue }) => ({ host, scheduled, overdue })),
              ...(boxes === undefined
                ? {}
                : {
                    storages: boxes.map(
                      (b): Result.StorageRow => ({
                        host: b.host,
                        outbox: b.outboxByDestination,
                        inbox: b.inboxPending,
                        parked: b.parked,
                        lagMillis: b.lagMillis,
                        waitingFor: b.waitingFor,
                        ...(b.unreachable === undefined ? {} : { unreachable: b.unreachable })
                      })
                    )
                  })
            } satisfies Result.Result
          }),
        Outbox: ({ limit }) => delivery.outbox(limit),
        Inbox: ({ limit }) => delivery.inbox(limit),
        Parked: () =>
          Effect.map(delivery.parkedRows, (parked): Result.Result => ({ command: "parked", parked })),
        Redrive: ({ id }) => delivery.redrive(id),
        Reconcile: ({ olderThan }) => delivery.reconcile(olderThan),
        Map: () => Effect.succeed(Drawings.map()),
        Flow: ({ id, format }) => Drawings.flow(journal, id, format),
        Replay: ({ gameId }) =>
          Effect.map(
            Effect.forEach([RondelHost.definition, AccountingHost.definition], (definition) =>
              Effect.provideService(
                Replay.verify(definition, gameId === undefined ? {} : { keys: [gameId] }),
                CommitBoundary,
                boundary
              )
            ),
            (reports): Result.Result => ({
              command: "replay",
              games: reports.flat().map((report) => ({
                host: report.host,
                gameId: report.key,
                entries: report.entries,
                matches: report.differences.length === 0 && report.problem === undefined,
                differences: report.differences,
                ...(report.problem === undefined ? {} : { problem: report.problem })
              }))
            })
          ),
        Fault: ({ fault, count }) =>
          Effect.gen(function* () {
            const misplaced = misplacedFault(fault, app.boundary)
            if (misplaced !== undefined) return yield* new SandboxError.NotAvailable({ message: misplaced })
            if (fault === "clear") yield* Effect.zipRight(faults.clear, silence.clear)
            else if (fault?.startsWith("drop-")) yield* silence.arm(fault.slice("drop-".length), count)
            else if (fault === "save" || fault === "publish" || fault === "dispatch" || fault === "relay")
              yield* faults.arm(fault, count)
            else if (fault !== undefined)
              yield* faults.armCrash({ host: fault.slice("crash-".length) }, count)
            const armed = [
              ...(yield* faults.armed),
              ...(yield* silence.armed).map((d) => ({ point: "drop", host: d.host, remaining: d.remaining }))
            ]
            return {
              command: "fault",
              armedNow: fault === undefined || fault === "clear" ? null : { fault, count },
              armed
            } satisfies Result.Result
          }),
        Timers: () =>
          Effect.gen(function* () {
            const now = yield* clock.now
            return {
              command: "timers",
              now,
              timers: timerRows(now, yield* timers.pending)
            } satisfies Result.Result
          }),
        Clock: ({ advance }) =>
          Effect.gen(function* () {
            if (advance !== undefined && !clock.adjustable) {
              return yield* new SandboxError.NotAvailable({
                message:
                  "clock advance exists only in memory mode: in Postgres mode timers are outbox rows judged by the database's clock (real time)"
              })
            }
            const before = yield* timers.pending
            const now = advance === undefined ? yield* clock.now : yield* clock.advance(advance)
            const fired = advance === undefined ? [] : before.filter((t) => t.dueAt <= now)
            // The timers woken by the advance hand their messages to the mailboxes a few scheduler turns later:
            // wait for that, so a settle after this command (JSON mode) sees what they started.
            const firedIds = new Set(fired.map((t) => t.messageId))
            for (let turn = 0; turn < 10_000 && firedIds.size > 0; turn++) {
              const left = yield* timers.pending
              if (!left.some((t) => firedIds.has(t.messageId))) break
              yield* Effect.yieldNow()
            }
            return {
              command: "clock",
              now,
              iso: new Date(now).toISOString(),
              adjustable: clock.adjustable,
              aheadMillis: yield* clock.offset,
              ...(advance === undefined
                ? {}
                : { advancedMillis: Duration.toMillis(advance), fired: timerRows(now, fired) })
            } satisfies Result.Result
          }),
        Help: ({ topic }) => {
          const spec = topic === undefined ? undefined : Commands.specOf(topic)
          return Effect.succeed<Result.Result>(
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
        Quit: () => Effect.succeed<Result.Result>({ command: "quit" })
      })

    return {
      hosts,
      consumes: (host) => app.frontDoors.get(host)?.definition.consumes ?? [],
      parse: (line) => Parser.parse(line, { hosts }),
      execute: run,
      currentGame: Ref.get(current),
      games: Effect.orElseSucceed(games, (): ReadonlyArray<string> => []),
      parkedIds: Effect.map(delivery.parkedRows, (rows) => rows.map((row) => row.id)).pipe(
        Effect.orElseSucceed((): ReadonlyArray<string> => [])
      ),
      takeSent: Ref.getAndSet(sent, [])
    } satisfies Session
  })

// internal

/** Why a fault kind cannot fire on this boundary, if it cannot (armed, it would wait forever). */
const misplacedFault = (fault: string | undefined, boundary: "memory" | "postgres"): string | undefined =>
  boundary === "postgres" && (fault === "publish" || fault === "dispatch")
    ? `fault ${fault} exists only in memory mode: in Postgres mode events and commands are outbox rows written in the state's transaction (try fault save, or fault relay to hold them in the outbox)`
    : boundary === "memory" && fault === "relay"
      ? "fault relay exists only in Postgres mode (--boundary postgres): the memory boundary has no relay"
      : undefined

/** The message was refused before anything was stored, so its id was not used. */
const refusedBeforeStored = (error: unknown): boolean => {
  const tag = (error as { readonly _tag?: unknown } | null)?._tag
  return tag === "MessageRejected" || tag === "MessageNotAccepted"
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
