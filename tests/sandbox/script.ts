import type { Line } from "./support.js"

/**
 * A whole game as a JSON-mode script, for runs on either boundary: free and paid moves, a failed payment, a
 * standing-still rejection, a move left waiting for its payment outcome and then superseded (its charge voided
 * and refunded), a crash the supervisor recovers from, duplicate sends, a void before its charge, bad input
 * and every query. `prefix` is the session's id prefix: the sandbox numbers its ids `<prefix>-1`, ... and a
 * move's billing id is `bill-<move id>`, so the script can name the billing id of a move it has not sent yet.
 */
export const wholeGame = (prefix: string): ReadonlyArray<string> => [
  "new-game Germany France --balance 5",
  "move Germany Investor",
  "move France Taxation",
  "move Germany Factory",
  "move France Investor",
  "move Germany Import",
  "move France Investor",
  "deposit Germany 10",
  // A charge for the next move's billing id arrives first: accounting takes it as that move's charge and drops
  // the real one as a duplicate, so the move waits for an outcome that never comes (a stuck flow).
  `send accounting ChargeMovement {"nation":"Germany","billingId":"bill-${prefix}-10","amount":2} --message-id stray-1`,
  "move Germany Import",
  "reconcile --older-than 0s",
  "positions",
  "move Germany ProductionOne",
  "reconcile --older-than 0s",
  "fault crash-accounting 2",
  "move France ManeuverOne",
  `send rondel Move {"nation":"France","space":"Taxation"} --message-id dup-1`,
  `send rondel Move {"nation":"France","space":"Taxation"} --message-id dup-1`,
  `send accounting Deposit {"nation":"France","amount":1} --message-id dep-1`,
  `send accounting Deposit {"nation":"France","amount":1} --message-id dep-1`,
  `send accounting VoidCharge {"nation":"France","billingId":"bill-x"}`,
  `send accounting ChargeMovement {"nation":"France","billingId":"bill-x","amount":2}`,
  "move Spain Investor",
  "positions",
  "balances",
  "ledger",
  "charges",
  "games",
  "parked",
  "quit"
]

/** Output made comparable across runs and boundaries, and the lines taken out for it. */
export interface Comparable {
  /** Every line with the run's id prefix replaced by `P` and the fields that measure time removed. */
  readonly lines: ReadonlyArray<Line>
  /** `MessageHandled` lines of a message id the host had already handled (a repeat), taken out of `lines`. */
  readonly repeats: ReadonlyArray<Line>
}

/**
 * Normalizes JSON-mode output: ids minted under `prefix` (`<prefix>-4`, `bill-<prefix>-4`, `<prefix>-4.1.0`)
 * become `P-...`; `tookMillis`, `ageMillis`, `lagMillis`, the ledger's `at` and a scheduled message's `dueAt` are dropped; repeated handlings
 * are set apart (the memory boundary hands a repeated message id to its host, which changes nothing; the Postgres
 * inbox drops it at the door, so no line is written).
 */
export const comparable = (out: ReadonlyArray<Line>, prefix: string): Comparable => {
  const minted = new RegExp(`\\b${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(?=\\d)`, "g")
  const timing = new Set(["tookMillis", "ageMillis", "lagMillis", "at", "dueAt"])
  const lines: Array<Line> = JSON.parse(
    JSON.stringify(out, (key, value) =>
      timing.has(key) ? undefined : typeof value === "string" ? value.replace(minted, "P-") : value
    )
  )
  const handled = new Set<string>()
  const kept: Array<Line> = []
  const repeats: Array<Line> = []
  for (const line of lines) {
    if (line.event === "MessageHandled") {
      const id = `${line.host} ${line.messageId}`
      // A redelivery the durable inbox dropped (at-least-once: the in-process handover and the relay can both
      // deliver a message) is reported as a duplicate and changes nothing: a repeat, wherever it falls.
      if (handled.has(id) || line.duplicate === true) {
        repeats.push(line)
        continue
      }
      handled.add(id)
    }
    kept.push(line)
  }
  return { lines: kept, repeats }
}
