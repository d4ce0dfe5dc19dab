import { Context, Effect } from "effect"

/** What a command-line program writes to and how it ends: its standard output and error, and its exit status. */
export interface StdioService {
  /** Writes text (with its newline) to standard output. */
  readonly out: (text: string) => void
  /** Writes text (with its newline) to standard error. */
  readonly err: (text: string) => void
  /** Whether the stream shows ANSI styles (a terminal, and NO_COLOR unset). */
  readonly styled: (stream: "out" | "err") => boolean
  /** Sets the exit status the program ends with (it does not end it). */
  readonly exit: (code: number) => void
}

/** The process's own streams and exit status. */
export const processStdio: StdioService = {
  out: (text) => {
    process.stdout.write(text)
  },
  err: (text) => {
    process.stderr.write(text)
  },
  styled: (stream) =>
    (stream === "out" ? process.stdout : process.stderr).isTTY === true && process.env.NO_COLOR === undefined,
  exit: (code) => {
    process.exitCode = code
  }
}

/**
 * Where the operator command (`mailroom`) and the programs' flag parsing write, and where their exit status goes:
 * the process's own unless a program that embeds the command (or a test running it in-process) provides another.
 */
export class Stdio extends Context.Reference<Stdio>()("mailroom/cli/Stdio", {
  defaultValue: (): StdioService => processStdio
}) {}

/** Writes to standard output. */
export const out = (text: string): Effect.Effect<void> => Effect.map(Stdio, (stdio) => stdio.out(text))

/** Writes to standard error. */
export const err = (text: string): Effect.Effect<void> => Effect.map(Stdio, (stdio) => stdio.err(text))

/** Sets the exit status. */
export const exit = (code: number): Effect.Effect<void> => Effect.map(Stdio, (stdio) => stdio.exit(code))
