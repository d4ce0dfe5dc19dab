import { Command, HelpDoc } from "@effect/cli"
import { Effect } from "effect"
import * as Boxes from "./commands/Boxes.js"
import * as ConsoleCommand from "./commands/Console.js"
import * as Flows from "./commands/Flows.js"
import * as MapCommand from "./commands/Map.js"
import * as Migrate from "./commands/Migrate.js"
import * as Parked from "./commands/Parked.js"
import * as Replay from "./commands/Replay.js"
import * as Show from "./commands/Show.js"
import * as Status from "./commands/Status.js"
import type * as Deployment from "./Deployment.js"
import * as Flags from "./Flags.js"
import * as Names from "./internal/names.js"
import * as Output from "./Output.js"
import * as Stdio from "./Stdio.js"

/** How `mailroom` is called, shown after a bad flag (every flag of every command appears here). */
export const usage = `Usage: mailroom <command> [--topology FILE] [--database-url [HOST=]URL ...] [--schema-prefix PREFIX] [--json]
  migrate [--sql]                      status [--overdue-after D]
  show <message-id> [--lanes] [--mermaid]
  flows [--stuck-for D] [--limit N] [--window N]
  parked                               redrive <message-id> | --all-of TYPE
  outbox [--limit N]                   inbox [--limit N]
  map [--format text|mermaid|both|markdown]
  replay --verify [--host NAME] [--key KEY]
  console [--port N] [--host ADDRESS] [--protect-reads]`

/** The `mailroom` command and its subcommands. */
export const command = (defaults: Deployment.Defaults) =>
  Command.make("mailroom").pipe(
    Command.withDescription(
      HelpDoc.blocks([
        HelpDoc.p(
          "Operate a Mailroom deployment: migrate its schemas, see where messages stand (status, outbox, inbox, flows), follow one message's whole history (show), repair what was parked (parked, redrive), draw what talks to what (map), check that the stored states equal what their audit logs replay to (replay --verify), or watch it all in a browser (console)."
        ),
        HelpDoc.p(
          "Every command reads the deployment's declarations from --topology (a module exporting your host definitions as `hosts`) and its databases from --database-url (default DATABASE_URL; HOST=URL places one host on a database of its own, as the hosts take it). It runs no host and no relay: it can look at a deployment while it runs or after it stopped."
        ),
        HelpDoc.p(
          "Every command prints text and tables by default and JSON with --json. Exit status: 0 done; 1 it could not (a database that does not answer, nothing under that id, a host's storage unreadable in status, a key whose state differs from its replay in replay --verify); 2 bad usage."
        )
      ])
    ),
    Command.withSubcommands([
      Migrate.command(defaults),
      Status.command(defaults),
      Show.command(defaults),
      Flows.command(defaults),
      Parked.parked(defaults),
      Parked.redrive(defaults),
      Boxes.command("outbox", defaults),
      Boxes.command("inbox", defaults),
      MapCommand.command(defaults),
      Replay.command(defaults),
      ConsoleCommand.command(defaults)
    ])
  )

/**
 * Runs `mailroom` on the given arguments (`process.argv`): bad usage prints the problem and the usage (exit status 2);
 * a command that cannot do its work says why on stderr (exit status 1).
 */
export const main = (
  argv: ReadonlyArray<string>,
  defaults: Deployment.Defaults = {}
): Effect.Effect<void> => {
  const program: Flags.Program = { name: "mailroom", usage }
  const typed = argv[2]
  if (typed === undefined)
    return Effect.zipRight(Output.note(`${usage}\nRun with --help for every option.`), Stdio.exit(2))
  if (!typed.startsWith("-") && !commands.includes(typed))
    return Flags.badUsage(
      program,
      `unknown command ${JSON.stringify(typed)}${Names.didYouMean(commands, typed)}`
    )
  return Flags.run(command(defaults), program, argv).pipe(
    Effect.catchAll((error) => {
      switch (error._tag) {
        case "BadInput":
          return Flags.badUsage(program, error.message)
        case "Failed":
          return failed(error.message)
        case "PersistenceError":
          return failed(`${error.operation}: ${error.message}`)
        default:
          return failed(String(error))
      }
    })
  )
}

// internal

const commands = [
  "migrate",
  "status",
  "show",
  "flows",
  "parked",
  "redrive",
  "outbox",
  "inbox",
  "map",
  "replay",
  "console"
]

const failed = (message: string) => Effect.zipRight(Output.note(`mailroom: ${message}`), Stdio.exit(1))
