import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import * as PgMigrate from "../../pg/PgMigrate.js"
import * as Deployment from "../Deployment.js"
import * as Output from "../Output.js"

/** `mailroom migrate`: brings every context's schema to this release, or prints the SQL it would run. */
export const command = (defaults: Deployment.Defaults) =>
  Command.make(
    "migrate",
    {
      ...Deployment.options,
      sql: Options.boolean("sql").pipe(
        Options.withDescription(
          "Print the SQL instead of running it: what each schema still needs (every migration when no database is given)."
        )
      )
    },
    (flags) =>
      Effect.gen(function* () {
        const topology = yield* Deployment.topology(flags, defaults)
        const schemaPrefix = yield* Deployment.schemaPrefix(flags)
        const hosts = topology.hosts.map((host) => host.name)
        const noDatabase = flags.databaseUrls.length === 0 && (process.env.DATABASE_URL ?? "") === ""
        if (flags.sql) {
          const plans = noDatabase
            ? PgMigrate.planFromScratch(hosts, schemaPrefix)
            : yield* PgMigrate.plan({
                hosts,
                placement: yield* Deployment.placement(flags, topology),
                schemaPrefix
              })
          return yield* Output.emit(
            flags.json,
            {
              schemas: plans.map((p) => ({
                host: p.host,
                schema: p.schema,
                location: p.location,
                applied: p.applied,
                pending: p.pending.map((m) => ({ id: m.id, name: m.name }))
              })),
              sql: PgMigrate.script(plans)
            },
            () => PgMigrate.script(plans)
          )
        }
        const placement = yield* Deployment.placement(flags, topology)
        const applied = yield* PgMigrate.migrate({ hosts, placement, schemaPrefix }, (line) =>
          flags.json ? Effect.void : Output.note(line)
        )
        yield* Output.emit(flags.json, { migrated: applied }, () =>
          applied.every((a) => a.from === a.to)
            ? "every schema was up to date"
            : `migrated ${applied
                .filter((a) => a.from !== a.to)
                .map((a) => `${a.schema} (${a.from} → ${a.to})`)
                .join(", ")}`
        )
      })
  ).pipe(
    Command.withDescription(
      "Brings each context's schema (state, audit log, inbox, outbox) to this release's migrations, on the database it is placed on; hosts also do this when they start. --sql prints the SQL instead."
    )
  )
