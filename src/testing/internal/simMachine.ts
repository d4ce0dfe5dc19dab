import { Either } from "effect"
import type { ScheduledEnvelope } from "../../commit/CommitBoundary.js"
import * as Scheduling from "../../commit/internal/scheduling.js"
import * as Produced from "../../commit/internal/produced.js"
import * as Envelope from "../../runtime/Envelope.js"
import * as SimulatedDurableStore from "./simStore.js"
import type { Decision, DeliveryRecord, EngineInput, Fault, Run, Violation, World } from "./simTypes.js"

/** Names of the guarantees of the durable boundary, checked in every run on top of the user's invariants. */
export const boundaryInvariants = {
  atMostOnce: "each message is committed at most once per host (inbox)",
  perKeyOrder: "messages of one key from one producer are handled in the order produced",
  noneLost: "every committed message reaches every consumer (outbox)",
  notEarly: "a scheduled message is handled no sooner than its due time",
  cancelHolds: "a scheduled message cancelled before it was handed over is never handled",
  handled: "every message decodes, decides and stores (no rejection, no defect)",
  routed: "every command has a consumer",
  converges: "the run converges"
} as const

/** The state of one run: the simulated store, the network's holds and downtimes, the trace; applies decisions. */
export const make = (input: EngineInput, seed: number) => {
  const store = SimulatedDurableStore.make(input.hosts, input.store)
  const hosts = new Map(input.hosts.map((host) => [host.name, host]))
  const start = input.startTime
  let now = start
  let step = 0
  let converged = false
  let faults = 0
  const trace: Array<string> = []
  const applied: Array<Decision> = []
  const violations: Array<Violation> = []
  const down = new Map<string, number>()
  const held = new Map<string, number>()
  const sentItems = new Set<number>()
  const committed = new Map<string, Set<string>>()
  const laneLast = new Map<string, number>()
  const deliveries: Array<DeliveryRecord> = []
  // Scheduled message id → when a commit cancelled it before it was handed over; ids handed over; due times.
  const cancelledAt = new Map<string, number>()
  const handedOver = new Set<string>()
  const scheduledDue = new Map<string, number>()
  const timerStats = {
    scheduled: 0,
    fired: 0,
    cancelledBeforeDue: 0,
    cancelledWhileDue: 0,
    cancelledTooLate: 0
  }
  const sent: Array<Envelope.Envelope> = []
  let touched: Array<{ readonly host: string; readonly key: string }> = []
  const stats = {
    sent: 0,
    commits: 0,
    duplicatesDropped: 0,
    faults: {
      crashBeforeCommit: 0,
      crashAfterCommit: 0,
      crashAfterDelivery: 0,
      duplicate: 0,
      delay: 0,
      restart: 0
    }
  }

  const log = (line: string) => {
    trace.push(`#${step} t=${now - start} ${line}`)
  }
  const violate = (invariant: string, message: string) => {
    violations.push({ invariant, message, step })
  }

  const isUp = (host: string): boolean => {
    const until = down.get(host)
    return until === undefined || until <= now
  }
  const advanceTo = (time: number) => {
    if (time > now) now = time
    for (const [host, until] of down) {
      if (until <= now) {
        down.delete(host)
        trace.push(`   t=${now - start} ${host} restarted`)
      }
    }
    for (const [lane, until] of held) if (until <= now) held.delete(lane)
  }
  const blocked = (lane: string): boolean => {
    const row = store.candidates(lane)[0]
    if (row === undefined) return true
    return (
      (row.dueAt !== undefined && row.dueAt > now) ||
      !isUp(row.to) ||
      (row.from !== SimulatedDurableStore.client && !isUp(row.from)) ||
      (held.get(lane) ?? -1) > now
    )
  }
  const nextWake = (): number | undefined => {
    let wake: number | undefined
    // A scheduled message falling due wakes the relay as a restarted process or a released lane does.
    const due = store.lanes().flatMap((lane) => {
      const head = store.candidates(lane)[0]
      return head?.dueAt === undefined ? [] : [head.dueAt]
    })
    for (const until of [...down.values(), ...held.values(), ...due]) {
      if (until > now && (wake === undefined || until < wake)) wake = until
    }
    return wake
  }
  const waitForWake = (): boolean => {
    const wake = nextWake()
    if (wake === undefined) {
      violate(
        boundaryInvariants.converges,
        `stuck with ${store.backlog()} undelivered rows and nothing to wait for`
      )
      return false
    }
    advanceTo(wake)
    return true
  }
  const crashHost = (host: string, downFor: number) => {
    down.set(host, Math.max(down.get(host) ?? 0, now + Math.max(1, downFor)))
    return store.crash(host)
  }

  const handle = (row: SimulatedDurableStore.Row, fault: Fault, downFor: number): void => {
    const host = hosts.get(row.to)!
    const envelope = row.envelope
    const label = `${row.lane}#${row.seq} ${envelope.type} ${envelope.messageId}`
    const record = (outcome: DeliveryRecord["outcome"]) =>
      deliveries.push({ step, from: row.from, to: row.to, envelope, outcome })
    const last = laneLast.get(row.lane) ?? 0
    if (row.seq !== last && row.seq !== last + 1) {
      violate(
        boundaryInvariants.perKeyOrder,
        `${row.lane}: row ${row.seq} (${envelope.type} ${envelope.messageId}) handed over after row ${last}`
      )
    }
    const relayDies = fault === "crashAfterDelivery" && row.from !== SimulatedDurableStore.client
    if (store.isProcessed(host.name, envelope.messageId)) {
      laneLast.set(row.lane, row.seq)
      record("duplicate")
      stats.duplicatesDropped++
      if (relayDies) {
        crashHost(row.from, downFor)
        log(
          `deliver ${label} → dropped by the inbox; ${row.from}'s relay dies before the ack, down ${downFor}ms`
        )
        return
      }
      store.ack(row)
      log(`deliver ${label} → dropped by the inbox (already processed)`)
      return
    }
    if (row.dueAt !== undefined && row.dueAt > now) {
      violate(
        boundaryInvariants.notEarly,
        `${label} handed over at t=${now - start}, due at t=${row.dueAt - start}`
      )
    }
    if (row.dueAt !== undefined && cancelledAt.has(envelope.messageId)) {
      violate(boundaryInvariants.cancelHolds, `${label} handed over after its cancellation was committed`)
    }
    if (row.dueAt !== undefined) handedOver.add(envelope.messageId)
    const decoded = host.decode(envelope)
    if (Either.isLeft(decoded)) {
      violate(boundaryInvariants.handled, `${host.name} rejected ${label}: ${decoded.left.message}`)
      log(`deliver ${label} → rejected: ${decoded.left.message}`)
      return
    }
    const loaded = store.load(host.name, row.key)
    let events: ReadonlyArray<Envelope.Envelope>
    let commands: ReadonlyArray<Envelope.Envelope>
    let scheduled: Array<ScheduledEnvelope>
    let cancelled: ReadonlyArray<string>
    let state: unknown
    try {
      const hostDecision = host.decide(loaded?.state, decoded.right, {
        messageId: envelope.messageId as Envelope.MessageId,
        now: envelope.occurredAt
      })
      events = Produced.envelopes(host, envelope, row.key, hostDecision.events, 0, now, undefined)
      commands = Produced.envelopes(
        host,
        envelope,
        row.key,
        hostDecision.commands,
        events.length,
        now,
        undefined
      )
      scheduled = [...Scheduling.envelopes(host, envelope, row.key, hostDecision, now, undefined)]
      cancelled = hostDecision.cancelled ?? []
      state = hostDecision.state
    } catch (error) {
      violate(boundaryInvariants.handled, `${host.name} died handling ${label}: ${describe(error)}`)
      log(`deliver ${label} → defect: ${describe(error)}`)
      return
    }
    if (fault === "crashBeforeCommit") {
      record("lost")
      crashHost(host.name, downFor)
      log(`deliver ${label} → ${host.name} dies before its commit (transaction lost), down ${downFor}ms`)
      return
    }
    let outcome: SimulatedDurableStore.CommitOutcome
    try {
      outcome = store.commit({
        host,
        key: row.key,
        consumed: envelope,
        expectedVersion: loaded?.version ?? 0,
        state,
        events,
        commands,
        ...(scheduled.length === 0 ? {} : { scheduled }),
        ...(cancelled.length === 0 ? {} : { cancelled }),
        now
      })
    } catch (error) {
      violate(
        boundaryInvariants.handled,
        `${host.name} could not store its state after ${label}: ${describe(error)}`
      )
      log(`deliver ${label} → state does not store: ${describe(error)}`)
      return
    }
    if (outcome._tag !== "Committed") {
      // One writer per key and the inbox checked above: neither can happen in a correct simulation.
      throw new Error(`unexpected ${outcome._tag} committing ${label}`)
    }
    const seen = committed.get(host.name) ?? new Set<string>()
    committed.set(host.name, seen)
    if (seen.has(envelope.messageId)) {
      violate(
        boundaryInvariants.atMostOnce,
        `${host.name} committed ${envelope.type} ${envelope.messageId} a second time`
      )
    }
    seen.add(envelope.messageId)
    laneLast.set(row.lane, row.seq)
    stats.commits++
    record("committed")
    const entry = outcome.entry
    if (entry.stateChanged) touched.push({ host: host.name, key: row.key })
    // What the decision cancelled, judged by what happened so far (not by what the store did): a cancel committed
    // before its message was handed over must keep it from ever being handled.
    for (const id of cancelled) {
      const dueAt = scheduledDue.get(id)
      if (dueAt === undefined) continue
      if (handedOver.has(id)) timerStats.cancelledTooLate++
      else {
        if (!cancelledAt.has(id)) {
          if (dueAt > now) timerStats.cancelledBeforeDue++
          else timerStats.cancelledWhileDue++
        }
        cancelledAt.set(id, now)
      }
    }
    for (const item of scheduled) scheduledDue.set(item.envelope.messageId, item.dueAt)
    timerStats.scheduled += scheduled.length
    if (row.dueAt !== undefined) timerStats.fired++
    const outputs = [
      ...[...events, ...commands].map((e) => e.type),
      ...scheduled.map((e) => `${e.envelope.type}@t=${e.dueAt - start}`),
      ...cancelled.map((id) => `cancel ${id}`)
    ]
    const summary = `→ v${entry.version}${entry.stateChanged ? "" : " unchanged"}${outputs.length > 0 ? ` +[${outputs.join(", ")}]` : ""}`
    if (fault === "crashAfterCommit") {
      const lost = crashHost(host.name, downFor)
      // A submission's inbox mark is part of the commit itself: nothing is left to acknowledge.
      if (row.from === SimulatedDurableStore.client) store.ack(row)
      log(
        `deliver ${label} ${summary}; ${host.name} dies after its commit, before the ack, down ${downFor}ms${lost.length > 0 ? `; ${lost.length} unwritten outbox rows lost` : ""}`
      )
      return
    }
    store.flush(host.name)
    if (relayDies) {
      crashHost(row.from, downFor)
      log(`deliver ${label} ${summary}; ${row.from}'s relay dies before recording the ack, down ${downFor}ms`)
      return
    }
    store.ack(row)
    log(`deliver ${label} ${summary}`)
    if (fault === "duplicate") {
      log(`  the same row is handed over again (duplicate delivery)`)
      handle(row, "none", 0)
    }
  }

  const send = (index: number) => {
    const item = input.items[index]!
    sentItems.add(index)
    const id = item.messageId as Envelope.MessageId
    const envelope = Envelope.make(id, item.key, item.wire, now)
    sent.push(envelope)
    stats.sent++
    const row = store.accept(item.host, envelope)
    log(
      `send ${item.host}/${item.key} ${item.wire.type} ${id} ${brief(item.wire.payload)}${row === undefined ? " → dropped by the inbox (id already received)" : ""}`
    )
  }

  const apply = (decision: Decision): boolean => {
    touched = []
    switch (decision._tag) {
      case "Send": {
        if (sentItems.has(decision.item) || decision.item >= input.items.length) return false
        advanceTo(now + decision.advance)
        step++
        send(decision.item)
        break
      }
      case "Deliver": {
        if (store.candidates(decision.lane).length === 0) return false
        advanceTo(now + decision.advance)
        while (blocked(decision.lane)) if (!waitForWake()) return false
        const rows = store.candidates(decision.lane)
        const row = rows.find((r) => r.seq === decision.seq) ?? rows[0]!
        step++
        if (decision.fault !== "none") {
          faults++
          stats.faults[decision.fault]++
        }
        handle(row, decision.fault, decision.downFor)
        break
      }
      case "Delay": {
        if (store.candidates(decision.lane).length === 0) return false
        advanceTo(now + decision.advance)
        step++
        faults++
        stats.faults.delay++
        held.set(decision.lane, now + decision.millis)
        log(`hold ${decision.lane} for ${decision.millis}ms (later rows of other lanes overtake it)`)
        break
      }
      case "Crash": {
        if (!hosts.has(decision.host) || !isUp(decision.host)) return false
        advanceTo(now + decision.advance)
        step++
        faults++
        stats.faults.restart++
        const lost = crashHost(decision.host, decision.millis)
        log(
          `kill ${decision.host}'s process while idle, down ${decision.millis}ms${lost.length > 0 ? `; ${lost.length} unwritten outbox rows lost` : ""}`
        )
        break
      }
    }
    applied.push(decision)
    return true
  }

  const world = (): World => ({
    step,
    now,
    converged,
    state: (host, key) => store.load(host.name, key)?.state as any,
    keys: (host) => store.keys(typeof host === "string" ? host : host.name),
    audit: (host, key) => store.audit(typeof host === "string" ? host : host.name, key),
    deliveries,
    sent,
    touched
  })

  const checkInvariants = () => {
    const current = world()
    for (const invariant of input.invariants) {
      if (invariant.at === "converged" && !converged) continue
      let result: ReturnType<typeof invariant.check>
      try {
        result = invariant.check(current)
      } catch (error) {
        result = describe(error)
      }
      if (result === false) violate(invariant.name, "does not hold")
      else if (typeof result === "string") violate(invariant.name, result)
    }
  }

  const converge = () => {
    converged = true
    trace.push(`   t=${now - start} converged after ${step} steps`)
    // Your invariants first: a lost message is best reported by what it broke.
    checkInvariants()
    const lost: Array<string> = []
    for (const host of input.hosts) {
      for (const entry of store.audit(host.name)) {
        const later = (entry.scheduled ?? [])
          .map((item) => item.envelope)
          .filter((message) => !store.cancelledIds().has(message.messageId))
        for (const message of [...entry.events, ...entry.commands, ...later]) {
          for (const consumer of store.consumersOf(message.type)) {
            if (!committed.get(consumer)?.has(message.messageId))
              lost.push(`${message.type} ${message.messageId} (${host.name} → ${consumer})`)
          }
        }
      }
    }
    if (lost.length > 0) {
      violate(
        boundaryInvariants.noneLost,
        `${lost.length} committed messages never reached their consumer: ${lost.slice(0, 5).join("; ")}${lost.length > 5 ? "; …" : ""}`
      )
    }
  }

  return {
    store,
    violations,
    isUp,
    deliverable: () => store.lanes().filter((lane) => !blocked(lane)),
    waitForWake,
    faultCount: () => faults,
    apply,
    checkStep: checkInvariants,
    converge,
    tooLong: () => {
      if (step < input.maxSteps) return false
      violate(
        boundaryInvariants.converges,
        `not converged after ${input.maxSteps} steps (${store.backlog()} rows undelivered)`
      )
      return true
    },
    result: (): Run => {
      for (const violation of violations) {
        trace.push(`   VIOLATED at step ${violation.step}: ${violation.invariant}: ${violation.message}`)
      }
      return {
        seed,
        trace,
        decisions: applied,
        violations,
        converged,
        stats: { ...stats, steps: step, time: now - start, timers: { ...timerStats } }
      }
    }
  }
}

// internal

const brief = (payload: unknown): string => {
  const text = JSON.stringify(payload) ?? "undefined"
  return text.length > 96 ? `${text.slice(0, 95)}…` : text
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message.split("\n").join(" ") : String(error)
