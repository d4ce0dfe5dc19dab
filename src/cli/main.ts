#!/usr/bin/env node
/**
 * The `mailroom` operator command (the package's bin): `mailroom --help` lists the commands. It needs your topology:
 * `--topology ./hosts.js` or MAILROOM_TOPOLOGY, a module exporting your host definitions as `hosts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Mailroom from "./Mailroom.js"

// Output piped into a program that stops reading (`| head`) ends this one quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
})

NodeRuntime.runMain(Mailroom.main(process.argv), { disableErrorReporting: true })
