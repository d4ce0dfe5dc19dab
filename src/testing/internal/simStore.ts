import { Schema } from "effect"
import type { AuditEntry, Loaded, ScheduledEnvelope } from "../../commit/CommitBoundary.js"
import type { AnyHostDefinition } from "../../commit/HostDefinition.js"
import * as Routing from "../../commit/Routing.js"
import type { Envelope } from "../../runtime/Envelope.js"

/**
 * A guarantee a deliberately broken store gives up, so tests can prove the simulator notices:
 * `inbox` forgets processed message ids (redeliveries are applied again), `outbox` writes outbox rows in a
 * second step after the state commit (a crash in between loses them), `order` lets the relay hand over any
 * undelivered row of a lane instead of the oldest (per-key order is lost), `cancel` leaves a cancelled scheduled
 * message in the outbox (it is delivered anyway).
 */
export type Broken = "inbox" | "outbox" | "order" | "cancel"

/** Options of the simulated store. */
export interface Options {
  /** Test-only: give up one guarantee (see `Broken`). */
  readonly broken?: Broken
  /** Store states through their schema as JSON, as Postgres does (default true): a state that does not survive fails. */
  readonly roundTrip?: boolean
}

/** The producer name of messages sent to a host's front door. */
export const client = "client"

/** A stored message waiting for (or past) delivery to one consumer: an outbox row, or an inbox row sent from outside. */
export interface Row {
  /** Insertion order over the whole store. */
  readonly id: number
  /** Producing host, or `client` for a submission. */
  readonly from: string
  /** Consuming host. */
  readonly to: string
  readonly key: string
  /** `from>to/key`: the unit of ordering; rows of one lane are delivered oldest first. */
  readonly lane: string
  /** Position within the lane, from 1. */
  readonly seq: number
  readonly envelope: Envelope
  /** A scheduled message: not handed over before this virtual time (each is a lane of its own). */
  readonly dueAt?: number
  /** Acknowledged by the consumer: the relay will not hand it over again. */
  delivered: boolean
}

/** One handled message's outcome, applied in one transaction (state, audit entry, outbox rows, inbox mark). */
export interface Transaction {
  readonly host: AnyHostDefinition
  readonly key: string
  readonly consumed: Envelope
  readonly expectedVersion: number
  /** New state, or undefined when unchanged. */
  readonly state: unknown
  readonly events: ReadonlyArray<Envelope>
  readonly commands: ReadonlyArray<Envelope>
  /** Messages scheduled for later (their outbox rows wait for their due time). */
  readonly scheduled?: ReadonlyArray<ScheduledEnvelope>
  /** Ids of scheduled messages to delete from the outbox if not yet delivered. */
  readonly cancelled?: ReadonlyArray<string>
  readonly now: number
}

/** A message the broken `outbox` store has not written yet (lost if its host crashes first). */
export interface Unwritten {
  readonly to: string
  readonly envelope: Envelope
}

/** What a transaction did. */
export type CommitOutcome =
  | {
      readonly _tag: "Committed"
      readonly entry: AuditEntry
      /** Outbox rows written in the transaction (none yet when the broken `outbox` store defers them). */
      readonly rows: ReadonlyArray<Row>
      /** Commands no host consumes (they go nowhere). */
      readonly unrouted: ReadonlyArray<Envelope>
      /** Scheduled rows this transaction deleted (cancelled before delivery). */
      readonly cancelled: ReadonlyArray<Row>
    }
  | { readonly _tag: "Duplicate" }
  | { readonly _tag: "Conflict"; readonly current: number }

/**
 * A test double of the durable (Postgres) boundary's storage, kept in memory for simulations: each handled
 * message is one atomic transaction (state with a version check + audit entry + outbox rows + inbox mark); a
 * crash before the commit loses the transaction, after it keeps it; undelivered rows are handed over again until
 * acknowledged; the inbox drops message ids already processed. Not a memory mode of the runtime.
 */
export interface SimulatedDurableStore {
  readonly broken: Broken | undefined
  /** Hosts that consume a message type (routing derived from every declaration). */
  readonly consumersOf: (type: string) => ReadonlyArray<string>
  /** Stores a front-door submission durably; undefined when the inbox already holds its id (dropped). */
  readonly accept: (host: string, envelope: Envelope) => Row | undefined
  readonly load: (host: string, key: string) => Loaded | undefined
  readonly keys: (host: string) => ReadonlyArray<string>
  readonly audit: (host: string, key?: string) => ReadonlyArray<AuditEntry>
  /** True when the host's inbox has processed this message id. */
  readonly isProcessed: (host: string, messageId: string) => boolean
  /** Applies one transaction atomically. */
  readonly commit: (transaction: Transaction) => CommitOutcome
  /** The broken `outbox` store's second write: the rows of the host's last commits (no-op otherwise). */
  readonly flush: (host: string) => ReadonlyArray<Row>
  /** The host's process died: what it held only in memory is gone (nothing durable is). */
  readonly crash: (host: string) => ReadonlyArray<Unwritten>
  /** The consumer acknowledged a row. */
  readonly ack: (row: Row) => void
  /** Lanes with undelivered rows, in the order they first appeared. */
  readonly lanes: () => ReadonlyArray<string>
  /** Rows the relay may hand over next on a lane: the oldest undelivered (any undelivered for `order`). */
  readonly candidates: (lane: string) => ReadonlyArray<Row>
  /** Undelivered rows, plus rows the broken `outbox` store has not written yet. */
  readonly backlog: () => number
  /** Message ids whose scheduled rows a commit deleted before they were delivered. */
  readonly cancelledIds: () => ReadonlySet<string>
}

/** A simulated durable store for the given hosts. */
export const make = (
  hosts: ReadonlyArray<AnyHostDefinition>,
  options: Options = {}
): SimulatedDurableStore => {
  const broken = options.broken
  const roundTrip = options.roundTrip ?? true
  const byName = new Map(hosts.map((host) => [host.name, host]))
  // Not `Routing.make`: a simulation runs declarations it cannot route too, and reports the commands that go nowhere.
  const consumers = Routing.consumersByType(hosts)
  const codecs = new Map(
    hosts.map((host) => [
      host.name,
      { encode: Schema.encodeSync(host.state), decode: Schema.decodeUnknownSync(host.state) }
    ])
  )

  const states = new Map<string, Map<string, Loaded>>()
  const audits = new Map<string, Array<AuditEntry>>()
  const auditsByKey = new Map<string, Map<string, Array<AuditEntry>>>()
  const processed = new Map<string, Set<string>>()
  const received = new Map<string, Set<string>>()
  const lanes = new Map<string, Array<Row>>()
  const laneSeqs = new Map<string, number>()
  const deferred = new Map<string, Array<Unwritten>>()
  let rowIds = 0
  let undelivered = 0
  const cancelledIds = new Set<string>()

  const entry = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
    let value = map.get(key)
    if (value === undefined) {
      value = make()
      map.set(key, value)
    }
    return value
  }

  const append = (from: string, to: string, envelope: Envelope, dueAt?: number): Row => {
    // A scheduled message is in order with nothing: a lane of its own, so it holds back no other row.
    const lane = `${from}>${to}/${envelope.key}${dueAt === undefined ? "" : `@${envelope.messageId}`}`
    const seq = (laneSeqs.get(lane) ?? 0) + 1
    laneSeqs.set(lane, seq)
    const row: Row = {
      id: ++rowIds,
      from,
      to,
      key: envelope.key,
      lane,
      seq,
      envelope,
      ...(dueAt === undefined ? {} : { dueAt }),
      delivered: false
    }
    entry(lanes, lane, () => []).push(row)
    undelivered++
    return row
  }

  // A row leaves the outbox: acknowledged, or cancelled before delivery.
  const removeRow = (lane: string, row: Row) => {
    const list = lanes.get(lane)
    if (list === undefined) return
    const index = list.indexOf(row)
    if (index < 0) return
    list.splice(index, 1)
    undelivered--
    if (list.length === 0) lanes.delete(lane)
  }

  const store = (host: string, state: unknown): unknown => {
    if (!roundTrip) return state
    const codec = codecs.get(host)!
    return codec.decode(JSON.parse(JSON.stringify(codec.encode(state))))
  }

  return {
    broken,
    consumersOf: (type) => consumers.get(type) ?? [],
    accept: (host, envelope) => {
      const inbox = entry(received, host, () => new Set())
      if (
        broken !== "inbox" &&
        (inbox.has(envelope.messageId) || processed.get(host)?.has(envelope.messageId))
      )
        return undefined
      inbox.add(envelope.messageId)
      return append(client, host, json(envelope))
    },
    load: (host, key) => states.get(host)?.get(key),
    keys: (host) => [...(states.get(host)?.keys() ?? [])],
    audit: (host, key) =>
      key === undefined ? (audits.get(host) ?? []) : (auditsByKey.get(host)?.get(key) ?? []),
    isProcessed: (host, messageId) => broken !== "inbox" && (processed.get(host)?.has(messageId) ?? false),
    commit: (tx) => {
      const host = tx.host.name
      if (!byName.has(host)) throw new Error(`host ${host} is not part of the simulation`)
      const inbox = entry(processed, host, () => new Set())
      if (broken !== "inbox" && inbox.has(tx.consumed.messageId)) return { _tag: "Duplicate" }
      const rows = entry(states, host, () => new Map())
      const current = rows.get(tx.key)?.version ?? 0
      if (current !== tx.expectedVersion) return { _tag: "Conflict", current }
      // Everything below is one transaction: computed first (a state that does not store throws before any write).
      const changed = tx.state !== undefined
      const stored = changed ? store(host, tx.state) : undefined
      const events = tx.events.map(json)
      const commands = tx.commands.map(json)
      const version = changed ? current + 1 : current
      if (changed) rows.set(tx.key, { state: stored, version })
      const log = entry(audits, host, () => [])
      const auditEntry: AuditEntry = {
        seq: log.length + 1,
        host,
        key: tx.key,
        message: tx.consumed,
        events,
        commands,
        ...(tx.scheduled === undefined || tx.scheduled.length === 0
          ? {}
          : { scheduled: tx.scheduled.map(json) }),
        ...(tx.cancelled === undefined || tx.cancelled.length === 0 ? {} : { cancelled: tx.cancelled }),
        stateChanged: changed,
        version,
        committedAt: tx.now
      }
      log.push(auditEntry)
      entry(
        entry(auditsByKey, host, () => new Map()),
        tx.key,
        () => []
      ).push(auditEntry)
      inbox.add(tx.consumed.messageId)
      const cancelled: Array<Row> = []
      if (tx.cancelled !== undefined && broken !== "cancel") {
        for (const id of tx.cancelled) {
          for (const [lane, list] of lanes) {
            const row = list.find(
              (r) => r.dueAt !== undefined && r.from === host && r.envelope.messageId === id
            )
            if (row === undefined) continue
            cancelled.push(row)
            cancelledIds.add(id)
            removeRow(lane, row)
          }
        }
      }
      const unrouted: Array<Envelope> = []
      const written: Array<Row> = []
      for (const envelope of [...events, ...commands]) {
        const to = consumers.get(envelope.type) ?? []
        if (to.length === 0 && commands.includes(envelope)) unrouted.push(envelope)
        for (const destination of to) {
          if (broken === "outbox") entry(deferred, host, () => []).push({ to: destination, envelope })
          else written.push(append(host, destination, envelope))
        }
      }
      for (const { envelope, dueAt } of tx.scheduled ?? []) {
        const item = json(envelope)
        for (const destination of consumers.get(item.type) ?? []) {
          // The outbox holds one row per destination and id (a redelivered decision is a duplicate before this).
          const lane = `${host}>${destination}/${item.key}@${item.messageId}`
          if (!lanes.has(lane)) written.push(append(host, destination, item, dueAt))
        }
      }
      return { _tag: "Committed", entry: auditEntry, rows: written, unrouted, cancelled }
    },
    flush: (host) => {
      const pending = deferred.get(host) ?? []
      deferred.delete(host)
      return pending.map((row) => append(host, row.to, row.envelope))
    },
    crash: (host) => {
      const lost = deferred.get(host) ?? []
      deferred.delete(host)
      return lost
    },
    ack: (row) => {
      if (row.delivered) return
      row.delivered = true
      removeRow(row.lane, row)
    },
    lanes: () => [...lanes.keys()],
    candidates: (lane) => {
      const list = lanes.get(lane) ?? []
      return broken === "order" ? list : list.slice(0, 1)
    },
    cancelledIds: () => cancelledIds,
    backlog: () => {
      let waiting = undelivered
      for (const rows of deferred.values()) waiting += rows.length
      return waiting
    }
  }
}

// internal

const json = <A>(value: A): A => JSON.parse(JSON.stringify(value)) as A
