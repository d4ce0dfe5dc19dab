import type * as LedgerProjection from "../accounting/LedgerProjection.js"
import type * as Ledger from "../accounting/Ledger.js"
import type * as Nation from "../contracts/Nation.js"
import type * as Space from "../contracts/Space.js"
import type * as Rondel from "../rondel/Rondel.js"

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
  /** `actor` (crashed its handler) or `relay inbox` / `relay outbox` (Postgres mode). */
  readonly source: string
  readonly gameId: string
  readonly type: string
  readonly messageId: string
  readonly attempts: number
  readonly cause: string
}

/** One game of one host replayed from its audit log, as `replay` reports it. */
export interface ReplayRow {
  readonly host: string
  readonly gameId: string
  readonly entries: number
  readonly matches: boolean
  /** The first fields that differ, in the stored form, with both values. */
  readonly differences: ReadonlyArray<{
    readonly path: string
    readonly stored: unknown
    readonly replayed: unknown
  }>
  /** Set when the log could not be replayed at all. */
  readonly problem?: string
}

/** A message waiting in a host's outbox or inbox (Postgres mode), as `outbox` and `inbox` list them. */
export interface PendingRow {
  readonly host: string
  readonly box: "outbox" | "inbox"
  readonly messageId: string
  readonly type: string
  readonly gameId: string
  /** Destination host (outbox) or where the message came from (inbox: a host, or `external`). */
  readonly peer: string
  /** Failed delivery attempts so far (the row waits for its next retry). */
  readonly attempts: number
  readonly lastError: string | null
  /** How long it has been waiting, in milliseconds. */
  readonly ageMillis: number
}

/** A paid move still waiting for its payment outcome, as `reconcile` lists it. */
export interface StuckMovement {
  readonly gameId: string
  readonly nation: string
  readonly target: string
  readonly billingId: string
  readonly amount: number
  readonly ageMillis: number
}

/** A parked message, as `reconcile` lists it: `id` is what `redrive` takes. */
export interface StuckMessage {
  readonly id: string
  readonly host: string
  /** `mailbox` (parked by the host's supervisor) or `inbox` / `outbox` (parked by the relay). */
  readonly where: string
  readonly gameId: string
  readonly type: string
  readonly attempts: number
  readonly reason: string
  readonly ageMillis: number
}

/** A scheduled message due in the past and not delivered yet, as `reconcile` lists it. */
export interface OverdueTimerRow {
  readonly messageId: string
  readonly host: string
  readonly destination: string
  readonly type: string
  readonly gameId: string
  readonly dueAt: number
  readonly overdueMillis: number
  readonly cause: string
}

/** Per-host figures as `stats` prints them. */
/** A scheduled message not yet delivered. */
export interface TimerRow {
  readonly messageId: string
  /** When it is due, in epoch milliseconds, and how long from now (negative: overdue). */
  readonly dueAt: number
  readonly dueInMillis: number
  /** The host that scheduled it, and the one it is for. */
  readonly host: string
  readonly destination: string
  readonly type: string
  readonly gameId: string
  /** The message whose handling scheduled it. */
  readonly cause: string
}

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

/** One host's scheduled messages: not due yet, and overdue (due, not delivered yet). */
export interface TimerCountRow {
  readonly host: string
  readonly scheduled: number
  readonly overdue: number
}

/** What a successful command reports (the JSON result line is `{ "ok": true, ...result }`). */
/** One host's storage as the relay sees it (Postgres mode). */
export interface StorageRow {
  readonly host: string
  /** Committed messages not yet in their destination's inbox, per destination. */
  readonly outbox: Readonly<Record<string, number>>
  readonly inbox: number
  readonly parked: number
  readonly lagMillis: number
  /** Destinations this host's outbox waits for because their storage cannot be reached. */
  readonly waitingFor: ReadonlyArray<string>
  /** Set when this host's own storage cannot be read: where, and why. */
  readonly unreachable?: string
}

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
      readonly charges: ReadonlyArray<LedgerProjection.ChargeRecord>
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
      /**
       * Per host, the messages it scheduled: not due yet, and due in the past but not delivered yet (memory mode: on
       * the sandbox clock; Postgres mode: the outbox's due times on the database's clock).
       */
      readonly timers: ReadonlyArray<TimerCountRow>
      /** Postgres mode: per host, what waits in its outbox (per destination) and inbox, and what is unreachable. */
      readonly storages?: ReadonlyArray<StorageRow>
    }
  | {
      readonly command: "outbox"
      readonly hosts: ReadonlyArray<{ readonly host: string; readonly pending: number }>
      /** The oldest pending rows, at most `limit` per host. */
      readonly rows: ReadonlyArray<PendingRow>
      readonly limit: number
    }
  | {
      readonly command: "inbox"
      readonly hosts: ReadonlyArray<{
        readonly host: string
        readonly pending: number
        readonly lagMillis: number
      }>
      /** The oldest pending rows, at most `limit` per host. */
      readonly rows: ReadonlyArray<PendingRow>
      readonly limit: number
    }
  | { readonly command: "parked"; readonly parked: ReadonlyArray<ParkedRow> }
  | { readonly command: "redrive"; readonly id: string; readonly host: string }
  | {
      readonly command: "reconcile"
      readonly olderThanMillis: number
      readonly pendingMovements: ReadonlyArray<StuckMovement>
      readonly parked: ReadonlyArray<StuckMessage>
      readonly overdueTimers: ReadonlyArray<OverdueTimerRow>
    }
  | {
      readonly command: "replay"
      /** Per host and game: the stored state compared with the one its audit log rebuilds. */
      readonly games: ReadonlyArray<ReplayRow>
    }
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
      readonly command: "timers"
      /** The sandbox clock's time, in epoch milliseconds. */
      readonly now: number
      readonly timers: ReadonlyArray<TimerRow>
    }
  | {
      readonly command: "clock"
      readonly now: number
      /** ISO 8601 of `now`. */
      readonly iso: string
      /** True in memory mode: `clock advance` moves it. */
      readonly adjustable: boolean
      /** How far the clock is ahead of real time, in milliseconds. */
      readonly aheadMillis: number
      /** What this command moved it by (absent when it only showed it). */
      readonly advancedMillis?: number
      /** Scheduled messages that fell due with this advance (in memory: fired). */
      readonly fired?: ReadonlyArray<TimerRow>
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
  | {
      readonly command: "map"
      readonly contexts: ReadonlyArray<{ readonly name: string; readonly atomicity?: string }>
      readonly links: ReadonlyArray<{
        readonly from: string
        readonly to: string
        readonly kind: "command" | "event" | "input" | "timer"
        readonly types: ReadonlyArray<string>
      }>
      /** The map as text and as a Mermaid flowchart. */
      readonly text: string
      readonly mermaid: string
    }
  | {
      readonly command: "flow"
      readonly correlationId: string
      readonly format: "lanes" | "mermaid"
      /** The flow's messages in causal order, each with its consumers' fates (no times: JSON output repeats). */
      readonly steps: ReadonlyArray<{
        readonly messageId: string
        readonly type: string
        readonly kind: "input" | "command" | "event" | "timer"
        readonly producer: string
        readonly depth: number
        readonly deliveries: ReadonlyArray<{
          readonly host: string
          readonly fate: string
          readonly attempts: number
        }>
      }>
      /** The drawing: swimlanes, or the Mermaid sequence diagram. */
      readonly drawing: string
    }
