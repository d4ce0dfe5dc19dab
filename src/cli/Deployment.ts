import { Options } from "@effect/cli"
import { Effect, Either, Layer, Option } from "effect"
import type { PersistenceError } from "../commit/CommitBoundary.js"
import { Journal } from "../operate/Journal.js"
import * as PgJournal from "../pg/PgJournal.js"
import type * as Placement from "../pg/Placement.js"
import * as Flags from "./Flags.js"
import { BadInput } from "./Output.js"
import * as Topology from "./Topology.js"

/** What the program knows before any flag: the topology used when neither `--topology` nor MAILROOM_TOPOLOGY is given. */
export interface Defaults {
  readonly topology?: Topology.Topology
}

/** The options every command takes: where the deployment's declarations and databases are, and `--json`. */
export const options = {
  topology: Options.text("topology").pipe(
    Options.withPseudoName("FILE"),
    Options.optional,
    Options.withDescription(
      "A module exporting your host definitions (`export const hosts = [...]`); default MAILROOM_TOPOLOGY, else the reference application's when run from the Mailroom repository."
    )
  ),
  databaseUrls: Flags.databaseUrls,
  schemaPrefix: Options.text("schema-prefix").pipe(
    Options.withPseudoName("PREFIX"),
    Options.optional,
    Options.withDescription("Prefix of each context's schema (default MAILROOM_SCHEMA_PREFIX, else none).")
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text and tables."))
}

/** The parsed common options. */
export interface Common {
  readonly topology: Option.Option<string>
  readonly databaseUrls: ReadonlyArray<string>
  readonly schemaPrefix: Option.Option<string>
  readonly json: boolean
}

/** The topology the options name (`--topology`, MAILROOM_TOPOLOGY) or the program's default. */
export const topology = (
  common: Pick<Common, "topology">,
  defaults: Defaults
): Effect.Effect<Topology.Topology, BadInput> => {
  const path = Option.getOrUndefined(common.topology) ?? nonEmpty(process.env.MAILROOM_TOPOLOGY)
  if (path !== undefined) return Topology.load(path)
  if (defaults.topology !== undefined) return Effect.succeed(defaults.topology)
  return Effect.fail(
    new BadInput({
      message:
        "no topology: pass --topology ./hosts.js (a module exporting your host definitions as `hosts`) or set MAILROOM_TOPOLOGY"
    })
  )
}

/** The schema prefix of the options, or MAILROOM_SCHEMA_PREFIX, checked. */
export const schemaPrefix = (common: Common): Effect.Effect<string, BadInput> => {
  const prefix = Option.getOrUndefined(common.schemaPrefix) ?? process.env.MAILROOM_SCHEMA_PREFIX ?? ""
  return /^[a-z0-9_]*$/.test(prefix)
    ? Effect.succeed(prefix)
    : Effect.fail(
        new BadInput({
          message: `--schema-prefix must be lower-case letters, digits or _; got ${JSON.stringify(prefix)}`
        })
      )
}

/** Where each host's tables are: `--database-url` values over DATABASE_URL. */
export const placement = (
  common: Common,
  topology: Topology.Topology
): Effect.Effect<Placement.Placement, BadInput> =>
  Either.match(
    Flags.placementOf(
      common.databaseUrls,
      topology.hosts.map((host) => host.name)
    ),
    {
      onLeft: (message) => Effect.fail(new BadInput({ message })),
      onRight: Effect.succeed
    }
  )

/** Everything a reading command needs: the topology, and the deployment's journal on its databases. */
export interface Deployment {
  readonly topology: Topology.Topology
  readonly journal: Journal["Type"]
}

/** Runs `f` with the deployment the options name; its database connections close when `f` ends. */
export const withDeployment = <A, E>(
  common: Common,
  defaults: Defaults,
  f: (deployment: Deployment) => Effect.Effect<A, E>
): Effect.Effect<A, E | BadInput | PersistenceError> =>
  Effect.gen(function* () {
    const found = yield* topology(common, defaults)
    const where = yield* placement(common, found)
    const prefix = yield* schemaPrefix(common)
    const layer = PgJournal.layer({ hosts: found.hosts, placement: where, schemaPrefix: prefix })
    return yield* Effect.flatMap(Journal, (journal) => f({ topology: found, journal })).pipe(
      Effect.provide(Layer.fresh(layer))
    )
  })

// internal

const nonEmpty = (text: string | undefined) => (text === undefined || text.trim() === "" ? undefined : text)
