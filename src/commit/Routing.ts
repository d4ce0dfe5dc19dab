import type { Envelope } from "../runtime/Envelope.js"
import type { ScheduledEnvelope } from "./CommitBoundary.js"
import type { AnyHostDefinition } from "./HostDefinition.js"

/** Where every message type goes in a deployment, derived once from all hosts' declarations. */
export interface Routing {
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  /** The hosts that consume a message type (an event: every subscriber; a command: its one consumer). */
  readonly consumersOf: (type: string) => ReadonlyArray<string>
  /** Each produced message with the host it goes to: events once per consumer, commands to their consumer. */
  readonly destinations: (
    events: ReadonlyArray<Envelope>,
    commands: ReadonlyArray<Envelope>
  ) => ReadonlyArray<{ readonly destination: string; readonly envelope: Envelope }>
  /** Each scheduled message with the host it goes to (every host that consumes its type; at least one). */
  readonly scheduledDestinations: (
    scheduled: ReadonlyArray<ScheduledEnvelope>
  ) => ReadonlyArray<ScheduledRoute>
}

/** A scheduled message for one destination. */
export interface ScheduledRoute {
  readonly destination: string
  readonly envelope: Envelope
  readonly dueAt: number
}

/** What a consuming host declares: its name and the message types it consumes. */
export interface Consumer {
  readonly name: string
  readonly consumes: ReadonlyArray<string>
}

/**
 * Which hosts consume each message type, in the order the hosts are given: the one table every router reads (the
 * deployment's `Routing`, a process's bus, the context map, the simulation). Not validated: see `make`.
 */
export const consumersByType = (
  hosts: ReadonlyArray<Consumer>
): ReadonlyMap<string, ReadonlyArray<string>> => {
  const consumers = new Map<string, Array<string>>()
  for (const host of hosts) {
    for (const type of host.consumes) {
      const list = consumers.get(type)
      if (list === undefined) consumers.set(type, [host.name])
      else if (list[list.length - 1] !== host.name) list.push(host.name)
    }
  }
  return consumers
}

/** The declarations cannot be routed: a host declared twice, or a command with no or several consumers. */
export class InvalidRouting extends Error {
  readonly _tag = "InvalidRouting"
}

/** Derives the routing of a deployment, refusing declarations that cannot be routed. */
export const make = (hosts: ReadonlyArray<AnyHostDefinition>): Routing => {
  const consumers = consumersByType(hosts)
  const problems: Array<string> = []
  const names = new Set<string>()
  for (const host of hosts) {
    if (names.has(host.name)) problems.push(`host ${host.name} is declared twice`)
    names.add(host.name)
    for (const type of host.sends) {
      const n = consumers.get(type)?.length ?? 0
      if (n !== 1)
        problems.push(
          `${host.name} sends ${type}, which ${n === 0 ? "no host consumes" : `${n} hosts consume`}`
        )
    }
  }
  if (problems.length > 0) throw new InvalidRouting(`invalid topology: ${problems.join("; ")}`)
  const consumersOf = (type: string): ReadonlyArray<string> => consumers.get(type) ?? []
  return {
    hosts,
    consumersOf,
    destinations: (events, commands) => {
      const out: Array<{ readonly destination: string; readonly envelope: Envelope }> = []
      for (const envelope of events) {
        for (const destination of consumersOf(envelope.type)) out.push({ destination, envelope })
      }
      for (const envelope of commands) {
        const to = consumersOf(envelope.type)
        // Validated above for every declared command; a host sending an undeclared one is a bug (a defect).
        if (to.length !== 1)
          throw new Error(`command ${envelope.type} has ${to.length} consumers; exactly one is required`)
        out.push({ destination: to[0]!, envelope })
      }
      return out
    },
    scheduledDestinations: (scheduled) => {
      const out: Array<ScheduledRoute> = []
      for (const { envelope, dueAt } of scheduled) {
        const to = consumersOf(envelope.type)
        // A host scheduling a message nobody consumes is a bug (a defect), as an undeclared command is.
        if (to.length === 0) throw new Error(`scheduled ${envelope.type} has no consumer`)
        for (const destination of to) out.push({ destination, envelope, dueAt })
      }
      return out
    }
  }
}
