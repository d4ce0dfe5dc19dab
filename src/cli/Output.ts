import { Data, type Effect } from "effect"
import * as Stdio from "./Stdio.js"

/** The command's input is wrong in a way flags alone could not tell (no topology, no database, a bad id): exit 2. */
export class BadInput extends Data.TaggedError("BadInput")<{ readonly message: string }> {}

/** The command could not do what it was asked (a database that does not answer, nothing under that id): exit 1. */
export class Failed extends Data.TaggedError("Failed")<{ readonly message: string }> {}

/** Writes text to stdout, ending it with a newline. */
export const print = (text: string): Effect.Effect<void> =>
  Stdio.out(text.endsWith("\n") ? text : `${text}\n`)

/** Writes a progress or warning line to stderr (never mixed into the JSON on stdout). */
export const note = (text: string): Effect.Effect<void> => Stdio.err(`${text}\n`)

/** Prints a result: as JSON (`--json`), or as the human text. */
export const emit = (json: boolean, data: unknown, human: () => string): Effect.Effect<void> =>
  json ? print(JSON.stringify(data, null, 2)) : print(human())

/**
 * A table for a terminal: a header, a rule, the rows; columns as wide as their widest cell, long cells cut at `max`
 * characters (with …). `empty` is printed instead when there are no rows.
 */
export const table = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
  options: { readonly empty?: string; readonly max?: number } = {}
): string => {
  if (rows.length === 0) return options.empty ?? "(none)"
  const max = options.max ?? 60
  const cells = rows.map((row) =>
    row.map((cell) => {
      const text = String(cell).replace(/\s*\n\s*/g, " ")
      return text.length > max ? `${text.slice(0, max - 1)}…` : text
    })
  )
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? "").length)))
  const line = (row: ReadonlyArray<string>) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()
  return [line(headers), line(widths.map((w) => "─".repeat(w))), ...cells.map(line)].join("\n")
}

/** A duration for people: `850 ms`, `12 s`, `4 min 5 s`, `3 h 2 min`, `2 d 4 h`. */
export const age = (millis: number): string => {
  const ms = Math.max(0, Math.round(millis))
  if (ms < 1000) return `${ms} ms`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min${s % 60 === 0 ? "" : ` ${s % 60} s`}`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h} h${m % 60 === 0 ? "" : ` ${m % 60} min`}`
  return `${Math.floor(h / 24)} d${h % 24 === 0 ? "" : ` ${h % 24} h`}`
}
