import type * as Bus from "../../src/commit/Bus.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import * as Style from "./Style.js"

/** One line of the live feed: a message handled, a message produced, a failure, or a supervision change. */
export type FeedItem =
  | {
      readonly _tag: "Handled"
      readonly host: string
      readonly envelope: Envelope
      readonly stateChanged: boolean
      readonly duplicate: boolean
      readonly produced: number
    }
  | {
      readonly _tag: "Emitted"
      readonly host: string
      /** `scheduled`: a message for later, delivered at `dueAt`. */
      readonly kind: "event" | "command" | "scheduled"
      /** Hosts the message is delivered to. */
      readonly to: ReadonlyArray<string>
      readonly envelope: Envelope
      /** When a scheduled message is due, in epoch milliseconds. */
      readonly dueAt?: number
      /** Position among the messages its cause produced (events first, then commands). */
      readonly index: number
      readonly causedBy: Envelope
    }
  | {
      readonly _tag: "HandlingFailed"
      readonly host: string
      readonly envelope: Envelope
      readonly error: string
    }
  | {
      readonly _tag: "DeliveryFailed"
      readonly step: string
      readonly to: string
      readonly envelope: Envelope
      readonly error: string
    }
  | {
      /** Scheduled messages a commit cancelled (those not yet handed on are then never delivered). */
      readonly _tag: "Cancelled"
      readonly host: string
      readonly messageIds: ReadonlyArray<string>
      readonly causedBy: Envelope
    }
  | { readonly _tag: "Notice"; readonly level: string; readonly message: string }
  | {
      readonly _tag: "HostRestarted"
      readonly host: string
      /** The message whose handling died. */
      readonly envelope: Envelope
      /** How many times handling it has died so far. */
      readonly attempts: number
      /** Restarts of the host so far, this one included. */
      readonly restarts: number
      readonly cause: string
    }
  | {
      /** Postgres mode: the supervisor gave up on a message and the relay, which owns it, delivers it again later. */
      readonly _tag: "HandedBack"
      readonly host: string
      readonly envelope: Envelope
      readonly attempts: number
      /** Failed deliveries after which the relay parks it. */
      readonly relayMaxAttempts: number
    }
  | {
      readonly _tag: "MessageParked"
      readonly id: string
      readonly host: string
      readonly envelope: Envelope
      readonly attempts: number
      readonly cause: string
    }
  | {
      readonly _tag: "KeyStopped"
      readonly host: string
      readonly key: string
      readonly restarts: number
      readonly parked: number
      readonly cause: string
    }

/** The feed lines of one observation (a commit gives the handled message, then what it produced). */
export const fromObservation = (
  observation: Bus.Observation,
  consumersOf: (type: string) => ReadonlyArray<string>
): ReadonlyArray<FeedItem> => {
  switch (observation._tag) {
    case "Committed": {
      const { host, consumed } = observation
      const produced: ReadonlyArray<{
        readonly envelope: Envelope
        readonly kind: "event" | "command" | "scheduled"
        readonly dueAt?: number
      }> = [
        ...observation.events.map((envelope) => ({ envelope, kind: "event" as const })),
        ...observation.commands.map((envelope) => ({ envelope, kind: "command" as const })),
        ...(observation.scheduled ?? []).map(({ envelope, dueAt }) => ({
          envelope,
          kind: "scheduled" as const,
          dueAt
        }))
      ]
      const cancelled: ReadonlyArray<FeedItem> =
        observation.cancelled === undefined || observation.cancelled.length === 0
          ? []
          : [{ _tag: "Cancelled", host, messageIds: observation.cancelled, causedBy: consumed }]
      return [
        {
          _tag: "Handled",
          host,
          envelope: consumed,
          stateChanged: observation.stateChanged,
          duplicate: observation.duplicate,
          produced: produced.length
        },
        ...cancelled,
        ...produced.map(
          ({ envelope, kind, dueAt }, index): FeedItem => ({
            _tag: "Emitted",
            host,
            kind,
            to: consumersOf(envelope.type),
            envelope,
            ...(dueAt === undefined ? {} : { dueAt }),
            index,
            causedBy: consumed
          })
        )
      ]
    }
    case "HandlingFailed":
      return [
        {
          _tag: "HandlingFailed",
          host: observation.host,
          envelope: observation.envelope,
          error: observation.error
        }
      ]
    case "DeliveryFailed":
      return [
        {
          _tag: "DeliveryFailed",
          step: observation.step,
          to: observation.to,
          envelope: observation.envelope,
          error: observation.error
        }
      ]
    case "Notice":
      return [{ _tag: "Notice", level: observation.level, message: observation.message }]
    case "Received":
      return []
  }
}

/**
 * Puts the lines of one settled command in causal order, independent of thread timing: the messages the
 * command sent (`roots`, in order), each followed depth-first by what handling it caused. Lines whose cause is
 * not among them keep their arrival order after those; supervision lines come last.
 */
export const order = (
  items: ReadonlyArray<FeedItem>,
  roots: ReadonlyArray<string>
): ReadonlyArray<FeedItem> => {
  const parent = new Map<string, { readonly parent: string; readonly index: number }>()
  const firstSeen = new Map<string, number>()
  items.forEach((item, i) => {
    if (item._tag === "Emitted")
      parent.set(item.envelope.messageId, { parent: item.causedBy.messageId, index: item.index })
    const id = anchor(item)
    if (id !== undefined && !firstSeen.has(id)) firstSeen.set(id, i)
  })
  const pathOf = (id: string): ReadonlyArray<number> => {
    const path: Array<number> = []
    const seen = new Set<string>()
    let at = id
    while (true) {
      const up = parent.get(at)
      if (up === undefined || seen.has(up.parent)) break
      seen.add(at)
      path.unshift(up.index)
      at = up.parent
    }
    const rank = roots.indexOf(at)
    path.unshift(rank >= 0 ? rank : roots.length + (firstSeen.get(at) ?? items.length))
    return path
  }
  const keyed = items.map((item, arrival) => {
    const id = anchor(item)
    return { item, arrival, path: id === undefined ? undefined : pathOf(id) }
  })
  keyed.sort((a, b) => {
    if (a.path === undefined || b.path === undefined) {
      if (a.path !== b.path) return a.path === undefined ? 1 : -1
      return (
        rank(a.item) - rank(b.item) || hostOf(a.item).localeCompare(hostOf(b.item)) || a.arrival - b.arrival
      )
    }
    return (
      comparePaths(a.path, b.path) ||
      rank(a.item) - rank(b.item) ||
      hostOf(a.item).localeCompare(hostOf(b.item)) ||
      a.arrival - b.arrival
    )
  })
  return keyed.map((k) => k.item)
}

/** The JSON line of a feed item: contract events and commands under their own name and field names. */
export const toJson = (item: FeedItem): Record<string, unknown> => {
  switch (item._tag) {
    case "Emitted":
      return {
        event: item.envelope.type,
        ...payloadFields(item.envelope),
        kind: item.kind,
        host: item.host,
        to: item.to,
        ...(item.dueAt === undefined ? {} : { dueAt: new Date(item.dueAt).toISOString() }),
        messageId: item.envelope.messageId,
        causationId: item.envelope.causationId,
        causedBy: item.causedBy.type
      }
    case "Handled":
      return {
        event: "MessageHandled",
        gameId: item.envelope.key,
        host: item.host,
        type: item.envelope.type,
        messageId: item.envelope.messageId,
        causationId: item.envelope.causationId,
        stateChanged: item.stateChanged,
        duplicate: item.duplicate
      }
    case "HandlingFailed":
      return {
        event: "HandlingFailed",
        gameId: item.envelope.key,
        host: item.host,
        type: item.envelope.type,
        messageId: item.envelope.messageId,
        error: item.error
      }
    case "DeliveryFailed":
      return {
        event: "DeliveryFailed",
        gameId: item.envelope.key,
        step: item.step,
        to: item.to,
        type: item.envelope.type,
        messageId: item.envelope.messageId,
        error: item.error
      }
    case "Cancelled":
      return {
        event: "ScheduledCancelled",
        gameId: item.causedBy.key,
        host: item.host,
        messageIds: item.messageIds,
        causationId: item.causedBy.messageId,
        causedBy: item.causedBy.type
      }
    case "Notice":
      return { event: "Notice", level: item.level, message: item.message }
    case "HostRestarted":
      return {
        event: "HostRestarted",
        gameId: item.envelope.key,
        host: item.host,
        type: item.envelope.type,
        messageId: item.envelope.messageId,
        attempts: item.attempts,
        restarts: item.restarts,
        cause: item.cause
      }
    case "HandedBack":
      return {
        event: "HandedBackToRelay",
        gameId: item.envelope.key,
        host: item.host,
        type: item.envelope.type,
        messageId: item.envelope.messageId,
        attempts: item.attempts,
        relayMaxAttempts: item.relayMaxAttempts
      }
    case "MessageParked":
      return {
        event: "MessageParked",
        gameId: item.envelope.key,
        id: item.id,
        host: item.host,
        type: item.envelope.type,
        messageId: item.envelope.messageId,
        attempts: item.attempts,
        cause: item.cause
      }
    case "KeyStopped":
      return {
        event: "KeyStopped",
        gameId: item.key,
        host: item.host,
        restarts: item.restarts,
        parked: item.parked,
        cause: item.cause
      }
  }
}

/** The human line of a feed item: which game, which host, what, and what caused it. */
export const toText = (item: FeedItem, style: Style.Style): string => {
  const arrowIn = style.unicode ? "⇐" : "<="
  const arrowOut = style.unicode ? "⇒" : "=>"
  const arrowTo = style.unicode ? "→" : "->"
  const game = (key: string) => Style.dim(style, `[${key}]`)
  switch (item._tag) {
    case "Handled": {
      const outcome = item.duplicate
        ? "duplicate: already processed, dropped"
        : !item.stateChanged && item.produced === 0
          ? "changed nothing"
          : ""
      return Style.dim(
        style,
        `${game(item.envelope.key)} ${item.host} ${arrowIn} ${item.envelope.type} ${item.envelope.messageId}${
          outcome === "" ? "" : `  (${outcome})`
        }`
      )
    }
    case "Emitted": {
      const name =
        item.kind === "command"
          ? Style.cyan(style, item.envelope.type)
          : /Rejected|Failed/.test(item.envelope.type)
            ? Style.red(style, item.envelope.type)
            : Style.green(style, item.envelope.type)
      const route =
        item.kind === "scheduled"
          ? `${item.host} ${arrowTo} ${item.to.join(", ") || "(nobody)"} later`
          : item.kind === "command"
            ? `${item.host} ${arrowTo} ${item.to.join(", ") || "(nobody)"}`
            : `${item.host} ${arrowOut}`
      const due = item.dueAt === undefined ? "" : ` due ${new Date(item.dueAt).toISOString()}`
      const cause = Style.dim(
        style,
        `${item.envelope.messageId} caused by ${item.causedBy.type} ${item.causedBy.messageId}`
      )
      return `${game(item.envelope.key)} ${route} ${Style.bold(style, name)} ${fieldsText(item.envelope)}${due}  ${cause}`
    }
    case "HandlingFailed":
      return Style.red(
        style,
        `${game(item.envelope.key)} ${item.host} failed to handle ${item.envelope.type} ${item.envelope.messageId}: ${item.error}`
      )
    case "DeliveryFailed":
      return Style.red(
        style,
        `${game(item.envelope.key)} ${item.step} of ${item.envelope.type} ${item.envelope.messageId} to ${item.to} failed: ${item.error}`
      )
    case "Cancelled":
      return `${game(item.causedBy.key)} ${item.host} cancels ${item.messageIds.join(", ")}  ${Style.dim(
        style,
        `caused by ${item.causedBy.type} ${item.causedBy.messageId}`
      )}`
    case "Notice":
      return (item.level === "info" ? Style.dim : Style.yellow)(style, `notice: ${item.message}`)
    case "HostRestarted":
      return Style.yellow(
        style,
        `${game(item.envelope.key)} supervisor: ${item.host} restarted after ${item.envelope.type} ${item.envelope.messageId} crashed it (attempt ${item.attempts}; restarts in total: ${item.restarts})`
      )
    case "HandedBack":
      return Style.yellow(
        style,
        `${game(item.envelope.key)} ${item.host} gave up on ${item.envelope.type} ${item.envelope.messageId} after ${item.attempts} attempts; the relay keeps it and delivers it again after a backoff (it parks it after ${item.relayMaxAttempts} failed deliveries)`
      )
    case "MessageParked":
      return Style.red(
        style,
        `${game(item.envelope.key)} ${item.host} parked ${item.envelope.type} ${item.envelope.messageId} as ${item.id} after ${item.attempts} attempts: ${item.cause}  (redrive ${item.id})`
      )
    case "KeyStopped":
      return Style.red(
        style,
        `${game(item.key)} supervisor stopped ${item.host} for this game after ${item.restarts} restarts; ${item.parked} messages parked`
      )
  }
}

// internal

const anchor = (item: FeedItem): string | undefined => {
  switch (item._tag) {
    case "Handled":
    case "Emitted":
    case "HandlingFailed":
    case "DeliveryFailed":
    case "HostRestarted":
    case "HandedBack":
    case "MessageParked":
      return item.envelope.messageId
    case "Cancelled":
      return item.causedBy.messageId
    default:
      return undefined
  }
}

const rank = (item: FeedItem): number =>
  ({
    Emitted: 0,
    DeliveryFailed: 1,
    // A message's restarts come before its handling (the attempt that finally worked) and its parking.
    HostRestarted: 2,
    Handled: 3,
    Cancelled: 3.5,
    HandlingFailed: 4,
    HandedBack: 5,
    MessageParked: 5,
    KeyStopped: 6,
    Notice: 7
  })[item._tag]

const hostOf = (item: FeedItem): string =>
  "host" in item ? item.host : item._tag === "DeliveryFailed" ? item.to : ""

const comparePaths = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

const payloadFields = (envelope: Envelope): Record<string, unknown> => {
  const payload = envelope.payload
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return { payload }
  const { _tag: _, ...fields } = payload as Record<string, unknown>
  return fields
}

const fieldsText = (envelope: Envelope): string =>
  Object.entries(payloadFields(envelope))
    .filter(([name]) => name !== "gameId")
    .map(
      ([name, value]) =>
        `${name}=${Array.isArray(value) ? value.join(",") : typeof value === "string" ? value : JSON.stringify(value)}`
    )
    .join(" ")
