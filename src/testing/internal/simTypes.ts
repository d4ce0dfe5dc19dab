import type { AuditEntry } from "../../commit/CommitBoundary.js"
import type { AnyHostDefinition, HostDefinition, WireMessage } from "../../commit/HostDefinition.js"
import type { Envelope } from "../../runtime/Envelope.js"
import type * as SimulatedDurableStore from "./simStore.js"
import type { Rng } from "./rng.js"

/** A command a workload sends to a host's front door (the same object twice = the same message sent twice). */
export interface Submission {
  readonly host: string
  readonly key: string
  readonly wire: WireMessage
  /** The id to send it with (assigned `c<n>` in workload order when absent). */
  readonly messageId?: string
}

/** Generates the commands of one run from the seed's generator (the only randomness it may use). */
export type Workload = (rng: Rng) => ReadonlyArray<Submission>

/** Where a delivery fails on purpose. */
export type Fault =
  /** The transport hands the row over. */
  | "none"
  /** The consumer dies while handling, before its commit: the transaction is lost, the row handed over again. */
  | "crashBeforeCommit"
  /** The consumer dies right after its commit, before acknowledging: the row comes again (inbox drops it). */
  | "crashAfterCommit"
  /** The producer's relay dies after handing the row over, before recording the acknowledgment. */
  | "crashAfterDelivery"
  /** The transport hands the row over twice in a row. */
  | "duplicate"

/** One choice of the scheduler; a run is its list of decisions, and replaying the list reproduces it. */
export type Decision =
  | { readonly _tag: "Send"; readonly item: number; readonly advance: number }
  | {
      readonly _tag: "Deliver"
      readonly lane: string
      /** Position of the row in its lane (the oldest undelivered unless the relay is broken). */
      readonly seq: number
      readonly fault: Fault
      /** How long a crashed process stays down. */
      readonly downFor: number
      readonly advance: number
    }
  | { readonly _tag: "Delay"; readonly lane: string; readonly millis: number; readonly advance: number }
  | { readonly _tag: "Crash"; readonly host: string; readonly millis: number; readonly advance: number }

/** How often the simulator injects each fault, and how much it may inject in one run. */
export interface FaultRates {
  /** Per delivery: a crash at one of the crash points (before commit, after commit, after delivery). */
  readonly crash: number
  /** Per delivery: the same row handed over twice. */
  readonly duplicate: number
  /** Per step: a lane held back for a while (other lanes overtake it). */
  readonly delay: number
  /** Per step: a host's process killed while idle (down for a while). */
  readonly restart: number
  /** Most faults of all kinds in one run, so every run can converge. */
  readonly maxFaults: number
  /** Most virtual milliseconds between two steps. */
  readonly maxAdvance: number
  /** How long a crashed process or a held lane waits, in virtual milliseconds: [min, max). */
  readonly downtime: readonly [number, number]
}

/** What one handling of a delivered row came to. */
export interface DeliveryRecord {
  readonly step: number
  readonly from: string
  readonly to: string
  readonly envelope: Envelope
  /** `committed`: applied; `duplicate`: dropped by the inbox; `lost`: the consumer crashed before its commit. */
  readonly outcome: "committed" | "duplicate" | "lost"
}

/** What invariants see: every host's durable state and logs at one moment of a run. */
export interface World {
  readonly step: number
  /** Virtual time, in milliseconds. */
  readonly now: number
  /** True once every command sent and every message it caused has been handled. */
  readonly converged: boolean
  /** A host's current state for one key. */
  readonly state: <S>(host: HostDefinition<S, any, any, any, any>, key: string) => S | undefined
  /** Keys that have state. */
  readonly keys: (host: AnyHostDefinition | string) => ReadonlyArray<string>
  /** A host's audit log (optionally one key), in commit order. */
  readonly audit: (host: AnyHostDefinition | string, key?: string) => ReadonlyArray<AuditEntry>
  /** Every handling of a delivered row so far. */
  readonly deliveries: ReadonlyArray<DeliveryRecord>
  /** Every envelope sent to a front door (duplicates included). */
  readonly sent: ReadonlyArray<Envelope>
  /** Keys whose state the last step changed. */
  readonly touched: ReadonlyArray<{ readonly host: string; readonly key: string }>
}

/** A property of a run: checked after every step (`step`) or once everything has been handled (`converged`). */
export interface Invariant {
  readonly name: string
  readonly at: "step" | "converged"
  /** A violation is a string or `false` returned, or an error thrown (node:assert works). */
  readonly check: (world: World) => string | boolean | undefined | void
}

/** An invariant that did not hold. */
export interface Violation {
  readonly invariant: string
  readonly message: string
  readonly step: number
}

/** Counters of one run. */
export interface Stats {
  readonly steps: number
  readonly sent: number
  readonly commits: number
  readonly duplicatesDropped: number
  readonly faults: {
    readonly crashBeforeCommit: number
    readonly crashAfterCommit: number
    readonly crashAfterDelivery: number
    readonly duplicate: number
    readonly delay: number
    readonly restart: number
  }
  /** Virtual time at the end, in milliseconds. */
  readonly time: number
  /** Messages scheduled for later, and what became of them. */
  readonly timers: {
    readonly scheduled: number
    /** Handed over when due (duplicates and redeliveries included). */
    readonly fired: number
    /** Cancelled before they fell due. */
    readonly cancelledBeforeDue: number
    /** Cancelled after they fell due, before the relay handed them over (the cancel won the race). */
    readonly cancelledWhileDue: number
    /** Cancelled after they were handed over (the firing won the race; the cancel found nothing). */
    readonly cancelledTooLate: number
  }
}

/** One simulated run. */
export interface Run {
  readonly seed: number
  /** One line per step (and per restart), identical for identical seeds. */
  readonly trace: ReadonlyArray<string>
  readonly decisions: ReadonlyArray<Decision>
  readonly violations: ReadonlyArray<Violation>
  readonly converged: boolean
  readonly stats: Stats
}

/** Everything the engine needs for one run. */
export interface EngineInput {
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  readonly items: ReadonlyArray<Submission & { readonly messageId: string }>
  readonly invariants: ReadonlyArray<Invariant>
  readonly faults: FaultRates
  readonly store: SimulatedDurableStore.Options
  readonly maxSteps: number
  readonly startTime: number
}
