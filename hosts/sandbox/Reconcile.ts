import { Clock, Duration, Effect, Option } from "effect"
import * as Application from "../../src/commit/Application.js"
import type * as Relay from "../../src/commit/Relay.js"
import * as Timers from "../../src/commit/Timers.js"
import * as RondelHost from "../rondel/RondelHost.js"

/** A paid move still waiting for its payment outcome. */
export interface StuckMovement {
  readonly gameId: string
  readonly nation: string
  readonly target: string
  readonly billingId: string
  readonly amount: number
  /** When the move that created the pending movement was committed (epoch ms). */
  readonly since: number
  readonly ageMillis: number
}

/** A message given up on (parked by a host's supervisor or by the relay). */
export interface StuckMessage {
  readonly host: string
  readonly where: "mailbox" | "inbox" | "outbox"
  readonly id: string
  readonly type: string
  readonly key: string
  readonly attempts: number
  readonly reason: string
  readonly ageMillis: number
}

/** A scheduled message that fell due and was not delivered yet. */
export interface OverdueTimer extends Timers.PendingTimer {
  /** How long ago it fell due. */
  readonly overdueMillis: number
}

/** Flows that have not converged after a given age: what an operator should look at. */
export interface Report {
  readonly olderThanMillis: number
  readonly pendingMovements: ReadonlyArray<StuckMovement>
  readonly parked: ReadonlyArray<StuckMessage>
  /** Scheduled messages overdue for at least the age: due, and still not delivered (soonest due first). */
  readonly overdueTimers: ReadonlyArray<OverdueTimer>
}

/**
 * Lists flows that have not converged after `olderThan`: pending movements without a payment outcome
 * (their age comes from Rondel's audit log) and parked messages (supervisor and, in Postgres mode, relay: only
 * its `parked` listing is read), and scheduled messages overdue for at least that age (due, not delivered: read from
 * the deployment's `Timers`, the outboxes' due rows in Postgres mode).
 */
export const reconcile = (olderThan: Duration.DurationInput, relay?: Pick<Relay.Relay["Type"], "parked">) =>
  Effect.gen(function* () {
    const app = yield* Application.Application
    const now = yield* Clock.currentTimeMillis
    const threshold = Duration.toMillis(olderThan)
    const rondel = app.frontDoor(RondelHost.definition)
    const pendingMovements: Array<StuckMovement> = []
    for (const gameId of yield* rondel.keys) {
      const state = yield* rondel.state(gameId)
      const pending = state?.nations.filter((entry) => entry.pending !== null) ?? []
      if (pending.length === 0) continue
      const log = yield* rondel.audit(gameId)
      for (const entry of pending) {
        const created = log.find((audit) =>
          audit.commands.some(
            (command) =>
              command.type === "ChargeMovement" &&
              (command.payload as { readonly billingId?: unknown }).billingId === entry.pending!.billingId
          )
        )
        const since = created?.committedAt ?? now
        if (now - since < threshold) continue
        pendingMovements.push({
          gameId,
          nation: entry.nation,
          target: entry.pending!.space,
          billingId: entry.pending!.billingId,
          amount: entry.pending!.amount,
          since,
          ageMillis: now - since
        })
      }
    }
    const parked: Array<StuckMessage> = []
    for (const host of app.hosts.values()) {
      for (const message of yield* host.actor.parked) {
        if (now - message.parkedAt < threshold) continue
        parked.push({
          host: host.name,
          where: "mailbox",
          id: message.id,
          type: message.message.type,
          key: message.key,
          attempts: message.attempts,
          reason: message.causeText.split("\n")[0] ?? "",
          ageMillis: now - message.parkedAt
        })
      }
    }
    if (relay !== undefined) {
      const rows = yield* Effect.option(relay.parked)
      for (const row of Option.getOrElse(rows, () => [])) {
        if (now - row.parkedAt < threshold) continue
        parked.push({
          host: row.host,
          where: row.box,
          id: row.messageId,
          type: row.type,
          key: row.key,
          attempts: row.attempts,
          reason: row.lastError ?? "",
          ageMillis: now - row.parkedAt
        })
      }
    }
    const overdueTimers = (yield* Effect.orElseSucceed(Timers.pending, () => []))
      .filter((timer) => timer.dueAt <= now && now - timer.dueAt >= threshold)
      .map((timer): OverdueTimer => ({ ...timer, overdueMillis: now - timer.dueAt }))
    const report: Report = { olderThanMillis: threshold, pendingMovements, parked, overdueTimers }
    return report
  })
