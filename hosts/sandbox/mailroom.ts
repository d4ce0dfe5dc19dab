/**
 * `npm run mailroom -- <command>`: the library's operator command (`src/cli`) with the reference application (Rondel
 * and Accounting) as its default topology, so `--topology` is only needed for other hosts.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import * as Mailroom from "../../src/cli/Mailroom.js"
import * as Topology from "../../src/cli/Topology.js"
import * as ImperialApp from "./ImperialApp.js"

// Output piped into a program that stops reading (`| head`) ends this one quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
})

NodeRuntime.runMain(
  Effect.flatMap(
    Effect.orDie(Topology.of("the reference application", ImperialApp.definitions)),
    (topology) => Mailroom.main(process.argv, { topology })
  ),
  { disableErrorReporting: true }
)
