import { Effect } from "effect"
import * as Path from "node:path"
import * as Url from "node:url"
import type { AnyHostDefinition } from "../commit/HostDefinition.js"
import * as Routing from "../commit/Routing.js"
import { BadInput } from "./Output.js"

/** The hosts of a deployment as the operator tools see them: their declarations and the routing derived from them. */
export interface Topology {
  /** Where the topology came from, for messages (a path, or the name of the default). */
  readonly source: string
  readonly hosts: ReadonlyArray<AnyHostDefinition>
  readonly routing: Routing.Routing
}

/** A topology from host definitions, refusing declarations that cannot be routed. */
export const of = (
  source: string,
  hosts: ReadonlyArray<AnyHostDefinition>
): Effect.Effect<Topology, BadInput> =>
  Effect.try({
    try: () => ({ source, hosts, routing: Routing.make(hosts) }),
    catch: (error) =>
      new BadInput({ message: `${source}: ${error instanceof Error ? error.message : String(error)}` })
  })

/**
 * Loads a topology module: a JavaScript (or, under tsx, TypeScript) module exporting the deployment's host
 * definitions as `hosts`, `definitions` or its default export (an array of `HostDefinition`s).
 */
export const load = (path: string): Effect.Effect<Topology, BadInput> =>
  Effect.gen(function* () {
    const absolute = Path.resolve(path)
    const module = yield* Effect.tryPromise({
      try: () => import(Url.pathToFileURL(absolute).href) as Promise<Record<string, unknown>>,
      catch: (error) =>
        new BadInput({
          message: `--topology ${path}: cannot load it (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`
        })
    })
    const exported = module.hosts ?? module.definitions ?? module.default
    if (!Array.isArray(exported) || exported.length === 0 || !exported.every(isHostDefinition))
      return yield* new BadInput({
        message: `--topology ${path}: it must export your host definitions as \`hosts\` (or \`definitions\`, or the default export): a non-empty array of HostDefinition; it exports ${Object.keys(module).join(", ") || "nothing"}`
      })
    return yield* of(path, exported)
  })

// internal

const isHostDefinition = (value: unknown): value is AnyHostDefinition => {
  const v = value as Partial<AnyHostDefinition> | null
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.name === "string" &&
    Array.isArray(v.consumes) &&
    Array.isArray(v.publishes) &&
    Array.isArray(v.sends) &&
    typeof v.decode === "function"
  )
}
