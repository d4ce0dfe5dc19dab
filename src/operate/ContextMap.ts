import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import * as Routing from "../commit/Routing.js"

/** One bounded context on the map: what its declaration says it takes, publishes and sends. */
export interface Context {
  readonly name: string
  /** What one of its commits holds together, as the domain declares it (absent when it declares nothing). */
  readonly atomicity?: string
  /** Types it consumes that no host produces: they come from outside (a front door). */
  readonly fromOutside: ReadonlyArray<string>
  readonly consumes: ReadonlyArray<string>
  readonly publishes: ReadonlyArray<string>
  readonly sends: ReadonlyArray<string>
  /** Its own inbound types it schedules for itself (timers). */
  readonly schedules: ReadonlyArray<string>
}

/** Messages of one kind going from one context to another (or from outside, or to no subscriber). */
export interface Link {
  /** A host name, or `outside`. */
  readonly from: string
  /** A host name, or `nobody` for events no host subscribes to. */
  readonly to: string
  /**
   * `command`: sent to its one consumer; `event`: published to every subscriber; `input`: from a front door;
   * `timer`: scheduled by a host for itself.
   */
  readonly kind: "command" | "event" | "input" | "timer"
  readonly types: ReadonlyArray<string>
}

/** What talks to what in a deployment, derived from the hosts' declarations alone (no hand-made list). */
export interface ContextMap {
  readonly contexts: ReadonlyArray<Context>
  readonly links: ReadonlyArray<Link>
}

/** The context map of a set of host definitions. */
export const make = (hosts: ReadonlyArray<AnyHostDefinition>): ContextMap => {
  const produced = new Set(
    hosts.flatMap((host) => [...host.publishes, ...host.sends, ...(host.schedules ?? [])])
  )
  const consumers = Routing.consumersByType(hosts)
  const consumersOf = (type: string) => consumers.get(type) ?? []
  const links = new Map<string, { from: string; to: string; kind: Link["kind"]; types: Array<string> }>()
  const link = (from: string, to: string, kind: Link["kind"], type: string) => {
    const id = `${from}\u0000${to}\u0000${kind}`
    const existing = links.get(id)
    if (existing === undefined) links.set(id, { from, to, kind, types: [type] })
    else if (!existing.types.includes(type)) existing.types.push(type)
  }
  for (const host of hosts) {
    for (const type of host.consumes) if (!produced.has(type)) link("outside", host.name, "input", type)
  }
  for (const host of hosts) {
    for (const type of host.schedules ?? []) link(host.name, host.name, "timer", type)
    for (const type of host.sends) for (const to of consumersOf(type)) link(host.name, to, "command", type)
    for (const type of host.publishes) {
      const to = consumersOf(type)
      if (to.length === 0) link(host.name, "nobody", "event", type)
      for (const consumer of to) link(host.name, consumer, "event", type)
    }
  }
  return {
    contexts: hosts.map((host) => ({
      name: host.name,
      ...(host.atomicity === undefined ? {} : { atomicity: host.atomicity }),
      fromOutside: host.consumes.filter((type) => !produced.has(type)),
      consumes: host.consumes,
      publishes: host.publishes,
      sends: host.sends,
      schedules: host.schedules ?? []
    })),
    links: [...links.values()]
  }
}

/** The map as a Mermaid flowchart: commands as thick arrows, events as dotted ones, atomicity in each context's box. */
export const mermaid = (map: ContextMap): string => {
  const lines = ["flowchart LR"]
  if (map.links.some((l) => l.from === "outside")) lines.push('  outside(["outside: front doors"])')
  for (const context of map.contexts) {
    const atomic = context.atomicity === undefined ? "" : `<br/><i>atomic: ${quote(context.atomicity)}</i>`
    lines.push(`  ${context.name}["<b>${context.name}</b>${atomic}"]`)
  }
  if (map.links.some((l) => l.to === "nobody")) lines.push('  nobody(("no subscriber"))')
  for (const l of map.links) {
    const label = `${l.kind === "input" ? "command" : l.kind}: ${l.types.join(", ")}`
    const arrow =
      l.kind === "event" || l.kind === "timer"
        ? `-. "${quote(label)}" .->`
        : l.kind === "command"
          ? `== "${quote(label)}" ==>`
          : `-- "${quote(label)}" -->`
    lines.push(`  ${l.from} ${arrow} ${l.to}`)
  }
  return lines.join("\n")
}

/** The map as text: per context, what it takes from outside, sends, publishes and consumes, and its atomicity. */
export const text = (map: ContextMap): string => {
  const lines: Array<string> = []
  const from = (type: string) =>
    map.links
      .filter(
        (l) => l.types.includes(type) && l.kind !== "input" && map.contexts.some((c) => c.name === l.to)
      )
      .map((l) => l.from)
  for (const context of map.contexts) {
    lines.push(context.name)
    if (context.atomicity !== undefined) lines.push(`  atomic: ${context.atomicity}`)
    const outgoing = map.links.filter((l) => l.from === context.name)
    if (context.fromOutside.length > 0)
      lines.push(`  from outside (commands): ${context.fromOutside.join(", ")}`)
    for (const l of outgoing.filter((l) => l.kind === "command"))
      lines.push(`  sends commands to ${l.to}: ${l.types.join(", ")}`)
    if (context.schedules.length > 0)
      lines.push(`  schedules for itself (timers): ${context.schedules.join(", ")}`)
    for (const l of outgoing.filter((l) => l.kind === "event"))
      lines.push(
        l.to === "nobody"
          ? `  publishes events no host subscribes to: ${l.types.join(", ")}`
          : `  publishes events to ${l.to}: ${l.types.join(", ")}`
      )
    const fromHosts = context.consumes.filter(
      (type) => !context.fromOutside.includes(type) && !context.schedules.includes(type)
    )
    if (fromHosts.length > 0)
      lines.push(
        `  consumes: ${fromHosts.map((type) => `${type} (from ${from(type).join(", ")})`).join(", ")}`
      )
  }
  lines.push("")
  lines.push(
    "A command goes to exactly one context; an event to every context that subscribes. No transaction spans two contexts: each arrow is a message committed with its producer's state and handled in its consumer's own transaction."
  )
  return lines.join("\n")
}

/** The map for a Markdown page: the text in a text block, then the Mermaid block (GitHub draws it). */
export const markdown = (map: ContextMap): string =>
  `\`\`\`text\n${text(map)}\n\`\`\`\n\n\`\`\`mermaid\n${mermaid(map)}\n\`\`\``

// internal

const quote = (text: string) => text.replace(/"/g, "#quot;")
