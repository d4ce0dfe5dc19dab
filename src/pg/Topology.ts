import type { AnyHostDefinition } from "../commit/HostDefinition.js"

/** Every host of a deployment and where its tables live: routing is derived from all declarations. */
export interface Topology {
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  /** Prefix of every context's schema name (e.g. "app_" gives schemas app_rondel, app_accounting). */
  readonly schemaPrefix: string
  readonly schemaOf: (host: string) => string
  readonly consumersOf: (type: string) => ReadonlyArray<string>
}

/** Builds a topology, refusing declarations that cannot be routed (a command with no or several consumers). */
export const make = (hosts: ReadonlyArray<AnyHostDefinition>, schemaPrefix = ""): Topology => {
  if (!/^[a-z0-9_]*$/.test(schemaPrefix))
    throw new Error(`schema prefix "${schemaPrefix}" must be lower-case letters, digits or _`)
  const consumers = new Map<string, Array<string>>()
  for (const host of hosts) {
    for (const type of host.consumes) consumers.set(type, [...(consumers.get(type) ?? []), host.name])
  }
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
  if (problems.length > 0) throw new Error(`invalid topology: ${problems.join("; ")}`)
  return {
    hosts,
    schemaPrefix,
    schemaOf: (host) => `${schemaPrefix}${host}`,
    consumersOf: (type) => consumers.get(type) ?? []
  }
}
