#!/usr/bin/env node
/**
 * The `mailroom` operator command (the package's bin): `mailroom --help` lists the commands. It needs your topology:
 * `--topology ./hosts.js` or MAILROOM_TOPOLOGY, a module exporting your host definitions as `hosts`.
 *
 * The command line is built on `@effect/cli` and runs on `@effect/platform-node`: optional peer dependencies of the
 * package (a service that only uses the library does not install them), so they are loaded here and, when missing,
 * named with the command that installs them.
 */

// Output piped into a program that stops reading (`| head`) ends this one quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
})

const operatorPeers = [
  "@effect/cli@^0.77",
  "@effect/platform@^0.97",
  "@effect/platform-node@^0.108",
  "@effect/printer@^0.51",
  "@effect/printer-ansi@^0.51",
  "@effect/typeclass@^0.41"
]

const missingPackage = (error: unknown): string | undefined => {
  const code = (error as { readonly code?: unknown } | null)?.code
  if (code !== "ERR_MODULE_NOT_FOUND") return undefined
  const found = /Cannot find package '([^']+)'/.exec(String((error as Error).message))
  return found?.[1] ?? "a package"
}

try {
  const { NodeRuntime } = await import("@effect/platform-node")
  const Mailroom = await import("./Mailroom.js")
  NodeRuntime.runMain(Mailroom.main(process.argv), { disableErrorReporting: true })
} catch (error) {
  const missing = missingPackage(error)
  if (missing === undefined) throw error
  process.stderr.write(
    `mailroom: the operator command needs ${missing}, which is not installed.\n` +
      `Install the command line's packages next to mailroom:\n  npm install ${operatorPeers.join(" ")}\n`
  )
  process.exit(1)
}
