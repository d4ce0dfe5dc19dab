import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { assert } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Redacted, Schema, Scope } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import * as AccountingClient from "../../hosts/accounting/AccountingClient.js"
import * as AccountingState from "../../hosts/accounting/AccountingState.js"
import * as Ledger from "../../hosts/accounting/Ledger.js"
import * as LedgerProjection from "../../hosts/accounting/LedgerProjection.js"
import * as AccountingMessages from "../../hosts/contracts/AccountingMessages.js"
import * as Contracts from "../../hosts/contracts/Contracts.js"
import * as GameId from "../../hosts/contracts/GameId.js"
import type * as Nation from "../../hosts/contracts/Nation.js"
import * as RondelMessages from "../../hosts/contracts/RondelMessages.js"
import type * as Space from "../../hosts/contracts/Space.js"
import * as RondelClient from "../../hosts/rondel/RondelClient.js"
import * as RondelState from "../../hosts/rondel/RondelState.js"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import type * as Application from "../../src/commit/Application.js"
import type { AuditEntry, PersistenceError } from "../../src/commit/CommitBoundary.js"
import * as Envelope from "../../src/runtime/Envelope.js"
import * as Progress from "../../src/testing/internal/progress.js"
import { freshDatabase } from "./support.js"

// Helpers for the Postgres failure, crash and concurrency tests of the Imperial application: apps started and
// killed inside one test, direct SQL on the boundary's tables, and the convergence invariants.

/** A running application with its own scope: run effects against it, stop it gracefully or kill it. */
export interface Running<ROut> {
  readonly context: Context.Context<ROut>
  readonly run: <A, E>(effect: Effect.Effect<A, E, ROut>) => Effect.Effect<A, E>
  /** Closes the app's scope with `exit` (a failure exit interrupts handlers at once, like a crash). */
  readonly stop: (exit?: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
}

/** Closing the scope with this exit interrupts everything at once: the in-process stand-in for SIGKILL. */
export const killed: Exit.Exit<unknown, unknown> = Exit.die(new Error("killed by the test"))

/** Builds a layer in a scope of its own (closed at the latest with the enclosing scope). */
export const start = <ROut, E>(layer: Layer.Layer<ROut, E>) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const context = yield* Layer.buildWithScope(layer, scope)
    const running: Running<ROut> = {
      context,
      run: (effect) => Effect.provide(effect, context),
      stop: (exit = Exit.void) => Scope.close(scope, exit)
    }
    return running
  })

type RelaySettings = NonNullable<ImperialApp.PostgresOptions["relay"]>

/** Relay settings for tests: short polls and retries. */
export const fastRelay: RelaySettings = {
  pollInterval: "50 millis",
  backoff: "20 millis",
  maxBackoff: "200 millis"
}

/** A relay that retries a refused or crashing message quickly and parks it after `maxAttempts` attempts. */
export const parkingRelay = (maxAttempts: number): RelaySettings => ({
  pollInterval: "50 millis",
  backoff: "10 millis",
  maxBackoff: "100 millis",
  maxAttempts
})

/**
 * A fresh database (dropped with the scope), a SQL client on it, and ways to start applications on it:
 * `app` runs both hosts, `hostsApp` only the given ones (other hosts of the topology may run elsewhere).
 */
/** Rondel's payment deadline in these tests (see `setting`). */
export const paymentDeadline = "1 day"

export const setting = Effect.gen(function* () {
  const { url } = yield* freshDatabase()
  const sql = yield* sqlClient(url)
  // Without forwarding in this process, no handover either: what a commit writes stays in its outbox.
  // Rondel's payment deadline is a day away: these tests stop, crash and delay deliveries on a loaded machine,
  // and only tests/pg/paymentDeadline.pg.test.ts is about the deadline firing.
  const app = (relay: RelaySettings = {}, handover = relay.forward !== false) =>
    start(ImperialApp.layerPostgres({ url, relay: { ...fastRelay, ...relay }, handover, paymentDeadline }))
  const hostsApp = (local: ReadonlyArray<ImperialApp.HostName>, relay: RelaySettings = {}) =>
    start(
      ImperialApp.layerPostgresApplication({
        url,
        local,
        relay: { ...fastRelay, ...relay },
        handover: relay.forward !== false,
        paymentDeadline
      })
    )
  return { url, sql, app, hostsApp }
})

/**
 * Waits until the application (and the whole database's backlog) has converged; fails when nothing moved for a
 * minute, however long the work takes while it moves (a loaded machine is slower, not broken).
 */
export const settle: Effect.Effect<
  void,
  Application.SettleTimeout | PersistenceError,
  Application.Application
> = Progress.settle()

/** A plain SQL client on the database, for setting up states and reading the boundary's tables. */
export const sqlClient = (url: string) =>
  Effect.map(Layer.build(PgClient.layer({ url: Redacted.make(url), maxConnections: 4 })), (context) =>
    Context.get(context, SqlClient.SqlClient)
  )

/**
 * Polls `check` until it holds. It fails when nothing in the database moved for a minute (no commit, arrival,
 * attempt, delivery or parking; see `options.stall`), not after a fixed time: on a loaded machine work is slower,
 * not stuck.
 */
export const eventually = <E, R>(
  sql: Databases,
  what: string,
  check: Effect.Effect<boolean, E, R>,
  options: Progress.WaitOptions = {}
) =>
  Progress.until(
    what,
    Effect.map(Effect.all([check, Effect.orDie(activity(sql))]), ([done, progress]) => ({ done, progress })),
    options
  ).pipe(
    Effect.catchIf(
      (error): error is Progress.Stalled => error instanceof Progress.Stalled,
      (stalled) => Effect.sync(() => assert.fail(stalled.message))
    )
  )

/**
 * A count that grows with everything the boundary writes in the database: commits (audit), arrivals and deliveries
 * (inbox and outbox rows), attempts, processed and parked marks. Progress of hosts in any process.
 */
export const activity = (sql: Databases) =>
  Effect.map(
    Effect.forEach(given(sql), (h) =>
      on(sql, h).unsafe<{ readonly n: string }>(
        `SELECT (SELECT count(*) FROM ${h}.audit)
            + (SELECT count(*) + count(processed_at) + count(parked_at) + coalesce(sum(attempts), 0) FROM ${h}.inbox)
            + (SELECT count(*) + count(delivered_at) + count(parked_at) + coalesce(sum(attempts), 0) FROM ${h}.outbox)
          AS n`
      )
    ),
    (counts) => counts.reduce((sum, rows) => sum + Number(rows[0]?.n ?? 0), 0)
  )

/** A game id unique to this test run. */
export const game = (name: string): GameId.GameId =>
  GameId.GameId.make(`${name}-${Math.random().toString(36).slice(2, 8)}`)

export const billOf = (messageId: string) => `bill-${messageId}`

export const move = (gameId: GameId.GameId, nation: Nation.Nation, space: Space.Space) =>
  RondelMessages.Move.make({ gameId, nation, space })
export const startGame = (gameId: GameId.GameId, nations: Nations) =>
  RondelMessages.SetToStartingPositions.make({ gameId, nations })
export const open = (gameId: GameId.GameId, nations: Nations, startingBalance: number) =>
  AccountingMessages.OpenAccounts.make({ gameId, nations, startingBalance })
export type Nations = readonly [Nation.Nation, ...Array<Nation.Nation>]

export const toRondel = (command: RondelClient.RondelCommand) =>
  Effect.flatMap(RondelClient.RondelClient, (rondel) => rondel.send(command))
export const toAccounting = (command: AccountingClient.AccountingCommand) =>
  Effect.flatMap(AccountingClient.AccountingClient, (accounting) => accounting.send(command))

/** A message from outside as the front door would wrap it, with a chosen id (for hand-built submissions). */
export const envelopeOf = (message: Contracts.Message, messageId: string, key: string): Envelope.Envelope => {
  return Envelope.make(messageId as Envelope.MessageId, key, Contracts.encodeMessage(message), Date.now())
}

export const hosts = ["rondel", "accounting"] as const

/**
 * One database holding both contexts' schemas, or a database per context (two servers; a context left out is not
 * read, e.g. while its server is down).
 */
export type Databases =
  | SqlClient.SqlClient
  | { readonly rondel?: SqlClient.SqlClient; readonly accounting?: SqlClient.SqlClient }

/** The client of the database a host's schema lives in. */
export const on = (databases: Databases, host: string): SqlClient.SqlClient => {
  if (typeof databases === "function") return databases
  const client = host === "rondel" ? databases.rondel : databases.accounting
  if (client === undefined) throw new Error(`no database given for ${host}`)
  return client
}

/** The hosts whose databases are given. */
const given = (databases: Databases) =>
  typeof databases === "function" ? hosts : hosts.filter((host) => databases[host] !== undefined)

export interface InboxRow {
  readonly id: string
  readonly message_id: string
  readonly type: string
  readonly key: string
  readonly source: string
  readonly attempts: number
  readonly last_error: string | null
  readonly processed: boolean
  readonly parked: boolean
  readonly envelope: Envelope.Envelope
}

/** A host's inbox in arrival order. */
export const inbox = (sql: Databases, host: string) =>
  on(sql, host).unsafe<InboxRow>(
    `SELECT id, message_id, type, key, source, attempts, last_error, processed_at IS NOT NULL AS processed,
            parked_at IS NOT NULL AS parked, envelope FROM ${host}.inbox ORDER BY id`
  )

export interface OutboxRow {
  readonly destination: string
  readonly message_id: string
  readonly type: string
  readonly key: string
  readonly delivered: boolean
  readonly parked: boolean
  readonly causation_id: string
}

/**
 * The state a crash between the consumer's insert and the producer's deleting its outbox rows would leave: every
 * message the producer's relay delivered into the destination's inbox is back in the producer's outbox, undelivered.
 */
export const forwardedAgain = (sql: Databases, producer: string, destination: string) =>
  Effect.gen(function* () {
    const delivered = (yield* inbox(sql, destination)).filter((row) => row.source === producer)
    for (const row of delivered) {
      yield* on(sql, producer).unsafe(
        `INSERT INTO ${producer}.outbox (destination, key, message_id, type, envelope)
         VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (destination, message_id) DO NOTHING`,
        [destination, row.key, row.message_id, row.type, JSON.stringify(row.envelope)]
      )
    }
    return delivered.length
  })

/** A host's outbox in commit order. */
/** A host's outbox rows of messages to hand on as soon as they can go (timers, rows with a due time, left out). */
export const outbox = (sql: Databases, host: string) =>
  on(sql, host).unsafe<OutboxRow>(
    `SELECT destination, message_id, type, key, delivered_at IS NOT NULL AS delivered,
            parked_at IS NOT NULL AS parked, envelope->>'causationId' AS causation_id
     FROM ${host}.outbox WHERE due_at IS NULL ORDER BY id`
  )

export interface AuditRow {
  readonly seq: string
  readonly key: string
  readonly message_id: string
  readonly type: string
  readonly events: ReadonlyArray<Envelope.Envelope>
  readonly commands: ReadonlyArray<Envelope.Envelope>
  readonly state_changed: boolean
  readonly payload: Record<string, unknown>
}

/** A host's audit log in commit order. */
export const audit = (sql: Databases, host: string) =>
  on(sql, host).unsafe<AuditRow>(
    `SELECT seq, key, message_id, message->>'type' AS type, events, commands, state_changed,
            message->'payload' AS payload
     FROM ${host}.audit ORDER BY seq`
  )

/** The stored state of one key, decoded (undefined when none). */
export const rondelState = (sql: Databases, gameId: string) =>
  Effect.map(
    on(sql, "rondel")<{
      state: unknown
      version: string
    }>`SELECT state, version FROM rondel.state WHERE key = ${gameId}`,
    (rows) =>
      rows[0] === undefined ? undefined : Schema.decodeUnknownSync(RondelState.Stored)(rows[0].state)
  )

/** Every nation's confirmed space and pending target, as stored. */
export const positionsOf = (sql: Databases, gameId: string) =>
  Effect.map(rondelState(sql, gameId), (state) =>
    Object.fromEntries(
      (state?.nations ?? []).map((n) => [
        n.nation,
        { current: n.position, pending: n.pending?.space ?? null }
      ])
    )
  )

export const accountingState = (sql: Databases, gameId: string) =>
  Effect.map(
    on(sql, "accounting")<{ state: unknown }>`SELECT state FROM accounting.state WHERE key = ${gameId}`,
    (rows) =>
      rows[0] === undefined ? undefined : Schema.decodeUnknownSync(AccountingState.Stored)(rows[0].state)
  )

/** Balances by account as stored. */
export const balancesOf = (sql: Databases, gameId: string) =>
  Effect.map(accountingState(sql, gameId), (state) =>
    Object.fromEntries(
      state === undefined ? [] : Accounting.balances(state).map((b) => [b.account, b.amount])
    )
  )

/**
 * What must hold at every moment, even while hosts run, crash and restart: no message applied twice by a host, and
 * per game no billing id charged twice, each charge's ledger entries matching its status, money conserved and no
 * purse overdrawn. Each check reads one snapshot (one statement), so it holds on a database in motion.
 */
export const safetyProblems = (sql: Databases) =>
  Effect.gen(function* () {
    const problems: Array<string> = []
    for (const host of hosts) {
      const applied = new Map<string, number>()
      for (const entry of yield* audit(sql, host)) {
        if (entry.state_changed || entry.events.length > 0 || entry.commands.length > 0)
          applied.set(entry.message_id, (applied.get(entry.message_id) ?? 0) + 1)
      }
      for (const [id, n] of applied) if (n > 1) problems.push(`${host} applied ${id} ${n} times`)
    }
    for (const [key, state] of yield* accountingStates(sql)) {
      for (const balance of Accounting.balances(state)) {
        if (balance.account !== "Bank" && balance.amount < 0)
          problems.push(`${key}: ${balance.account} has a negative balance ${balance.amount}`)
      }
      const total = Accounting.balances(state).reduce((sum, b) => sum + b.amount, 0)
      if (total !== 0) problems.push(`${key}: balances sum to ${total}`)
    }
    for (const [key, history] of yield* accountingHistories(sql)) {
      // Each billing id is charged at most once and refunded at most once (after its charge), and the charge's
      // status says exactly that (the history is projected from the audit log; the state keeps only balances).
      for (const charge of history.charges) {
        const entries = history.ledger.filter((e) => e.billingId === charge.billingId)
        const kinds = entries.map((e) => e.kind).join(",")
        const expected =
          charge.status === "Paid" ? "Charge" : charge.status === "Refunded" ? "Charge,Refund" : ""
        if (kinds !== expected)
          problems.push(
            `${key}: ${charge.billingId} is ${charge.status} but its ledger entries are [${kinds}]`
          )
      }
    }
    return problems
  })

/**
 * What must hold once everything settled, whatever crashed on the way (ARCHITECTURE.md "Failure matrix", last row): the safety invariants
 * (`safetyProblems`), every committed message delivered and processed, nothing parked, commands stored with the
 * commit that produced them, and both contexts agreeing on every charge.
 */
export const convergenceProblems = (sql: Databases) =>
  Effect.gen(function* () {
    const problems: Array<string> = [...(yield* safetyProblems(sql))]
    const inboxes = new Map<string, ReadonlyArray<InboxRow>>()
    for (const host of hosts) inboxes.set(host, yield* inbox(sql, host))
    for (const host of hosts) {
      const out = yield* outbox(sql, host)
      const log = yield* audit(sql, host)
      for (const row of out) {
        if (!row.delivered || row.parked)
          problems.push(
            `${host} outbox ${row.type} ${row.message_id} not delivered${row.parked ? " (parked)" : ""}`
          )
        const received = inboxes.get(row.destination)?.find((r) => r.message_id === row.message_id)
        if (received === undefined)
          problems.push(`${row.type} ${row.message_id} committed by ${host} never reached ${row.destination}`)
      }
      for (const row of inboxes.get(host)!) {
        if (!row.processed)
          problems.push(
            `${host} inbox ${row.type} ${row.message_id} not processed (${row.parked ? "parked" : "pending"})`
          )
        if (row.processed && !log.some((e) => e.message_id === row.message_id))
          problems.push(`${host} inbox ${row.type} ${row.message_id} marked processed without a commit`)
      }
      for (const entry of log) {
        // A commit's commands (and events someone consumes) are written by the same transaction, as rows of the
        // host's own outbox (a commit writes nothing of another context).
        for (const sent of [...entry.commands, ...entry.events]) {
          // The outbox row is deleted once its consumer has the message: then it is in the consumer's inbox.
          const destination = Contracts.RondelInboundTypes.includes(sent.type as never)
            ? "rondel"
            : Contracts.AccountingInboundTypes.includes(sent.type as never)
              ? "accounting"
              : undefined
          if (
            destination !== undefined &&
            !out.some((row) => row.message_id === sent.messageId) &&
            !inboxes.get(destination)?.some((row) => row.message_id === sent.messageId && row.source === host)
          )
            problems.push(
              `${host} committed ${sent.type} ${sent.messageId} that is neither in its outbox nor delivered`
            )
        }
      }
      for (const row of out) {
        if (!log.some((e) => [...e.commands, ...e.events].some((m) => m.messageId === row.message_id)))
          problems.push(
            `${host} outbox row ${row.type} ${row.message_id} without the commit that produced it`
          )
      }
    }

    // Both contexts agree on which moves were paid for.
    const completedByPayment = new Set(
      (yield* audit(sql, "rondel"))
        .filter((entry) => entry.type === "RondelInvoicePaid" && entry.state_changed)
        .map((entry) => String(entry.payload.billingId))
    )
    const paidBills = new Set<string>()
    const histories = new Map(yield* accountingHistories(sql))
    for (const [, history] of histories) {
      for (const charge of history.charges) if (charge.status === "Paid") paidBills.add(charge.billingId)
    }
    // Once settled, the balances the state keeps are those of the ledger projected from the audit log.
    for (const [key, state] of yield* accountingStates(sql)) {
      const ledger = histories.get(key)?.ledger ?? []
      for (const { account, amount } of Accounting.balances(state))
        if (Ledger.balanceOf(ledger, account) !== amount)
          problems.push(
            `${key}: ${account} holds ${amount} but its ledger says ${Ledger.balanceOf(ledger, account)}`
          )
    }
    for (const bill of paidBills) {
      if (!completedByPayment.has(bill)) problems.push(`${bill} is paid but Rondel did not complete its move`)
    }
    for (const bill of completedByPayment) {
      if (!paidBills.has(bill)) problems.push(`Rondel completed the move of ${bill} but it is not paid`)
    }
    const rondelGames = yield* on(sql, "rondel")<{
      key: string
      state: unknown
    }>`SELECT key, state FROM rondel.state ORDER BY key`
    for (const row of rondelGames) {
      const state = Schema.decodeUnknownSync(RondelState.Stored)(row.state)
      for (const n of state.nations) {
        if (n.pending !== null)
          problems.push(`${row.key}: ${n.nation} still waits for ${n.pending.billingId}`)
      }
    }
    return problems
  })

/** Every game's accounting state, decoded, by key. */
const accountingStates = (sql: Databases) =>
  Effect.map(
    on(sql, "accounting")<{
      key: string
      state: unknown
    }>`SELECT key, state FROM accounting.state ORDER BY key`,
    (rows) =>
      rows.map((row) => [row.key, Schema.decodeUnknownSync(AccountingState.Stored)(row.state)] as const)
  )

/** Every game's ledger and charge history, projected from Accounting's audit log (read in one statement). */
export const accountingHistories = (sql: Databases) =>
  Effect.map(
    on(sql, "accounting").unsafe<{
      seq: string
      key: string
      message: Envelope.Envelope
      events: ReadonlyArray<Envelope.Envelope>
      commands: ReadonlyArray<Envelope.Envelope>
      state_changed: boolean
      version: string
      committed_at: Date
    }>(
      `SELECT seq, key, message, events, commands, state_changed, version, committed_at FROM accounting.audit ORDER BY seq`
    ),
    (rows) => {
      const logs = new Map<string, Array<AuditEntry>>()
      for (const row of rows) {
        const log = logs.get(row.key) ?? []
        logs.set(row.key, log)
        log.push({
          seq: Number(row.seq),
          host: "accounting",
          key: row.key,
          message: row.message,
          events: row.events,
          commands: row.commands,
          stateChanged: row.state_changed,
          version: Number(row.version),
          committedAt: new Date(row.committed_at).getTime()
        })
      }
      return [...logs].map(([key, log]) => [key, LedgerProjection.project(log)] as const)
    }
  )

/** Asserts the convergence invariants (see `convergenceProblems`). */
export const assertConverged = (sql: Databases) =>
  Effect.map(convergenceProblems(sql), (problems) => assert.deepStrictEqual(problems, []))
