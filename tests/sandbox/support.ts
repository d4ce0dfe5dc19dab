import { Effect } from "effect"
import * as JsonMode from "../../hosts/sandbox/JsonMode.js"

/** One parsed output line of the JSON mode. */
export type Line = Record<string, any>

/**
 * Runs the JSON mode in-process over the given command lines and parses every output line. A step that does not
 * settle within `stepTimeout` prints a warning line; the default 10 s is a hang guard a loaded machine can reach.
 */
export const run = (lines: ReadonlyArray<string>, options: Partial<JsonMode.JsonModeOptions> = {}) =>
  Effect.map(JsonMode.runLines(lines, { stepTimeout: "2 minutes", ...options }), (out) =>
    out.map((line) => JSON.parse(line) as Line)
  )

/** Result lines only (one per command). */
export const results = (out: ReadonlyArray<Line>): ReadonlyArray<Line> => out.filter((line) => "ok" in line)

/** Event lines only, optionally of one name. */
export const events = (out: ReadonlyArray<Line>, name?: string): ReadonlyArray<Line> =>
  out.filter((line) => "event" in line && (name === undefined || line.event === name))

/** The result line of the n-th command of a kind (0 = first) and the event lines printed after it. */
export const step = (out: ReadonlyArray<Line>, command: string, n = 0) => {
  let seen = -1
  const at = out.findIndex((line) => "ok" in line && line.command === command && ++seen === n)
  if (at < 0) throw new Error(`no result line #${n} for ${command}`)
  const next = out.findIndex((line, i) => i > at && "ok" in line)
  return { result: out[at]!, events: out.slice(at + 1, next < 0 ? out.length : next) }
}

/** Event names of lines, for order assertions. */
export const names = (lines: ReadonlyArray<Line>): ReadonlyArray<string> =>
  lines.map((line) => (line.event === "MessageHandled" ? `${line.host}<-${line.type}` : line.event))

/** Output with the fields that measure time removed (everything else is reproducible). */
export const timeless = (out: ReadonlyArray<Line>): ReadonlyArray<Line> =>
  JSON.parse(
    JSON.stringify(out, (key, value) =>
      key === "tookMillis" || key === "at" || key === "dueAt" ? undefined : value
    )
  )

/**
 * The lines of a paid move that is paid at once: Rondel -> Accounting -> Rondel; the payment cancels the move's
 * deadline (the feed shows the scheduled deadline last: it occurs at its due time).
 */
export const paidTrip = [
  "rondel<-Move",
  "MovementAwaitingPayment",
  "ChargeMovement",
  "accounting<-ChargeMovement",
  "RondelInvoicePaid",
  "rondel<-RondelInvoicePaid",
  "ScheduledCancelled",
  "ActionDetermined",
  "PaymentDeadline"
]

/** A nation's entry in the n-th `positions` result. */
export const position = (out: ReadonlyArray<Line>, nation: string, n = 0) =>
  step(out, "positions", n).result.positions.find((p: Line) => p.nation === nation)

/** An account's amount in the n-th `balances` result. */
export const balance = (out: ReadonlyArray<Line>, account: string, n = 0) =>
  step(out, "balances", n).result.balances.find((b: Line) => b.account === account)?.amount
