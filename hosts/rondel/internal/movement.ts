import type * as RondelMessages from "../../contracts/RondelMessages.js"
import * as Space from "../../contracts/Space.js"

/** Spaces a nation may move for free; each step beyond costs `costPerExtraStep` millions. */
export const freeSteps = 3
/** Millions per step beyond the free ones. */
export const costPerExtraStep = 2
/** The longest move the rules allow. */
export const maxSteps = 6

/** What the rules say about a move from a confirmed position (null = off the wheel) to a space. */
export type Plan =
  | { readonly _tag: "Free"; readonly steps: number }
  | { readonly _tag: "Paid"; readonly steps: number; readonly amount: number }
  | {
      readonly _tag: "Refused"
      readonly reason: Extract<RondelMessages.RejectionReason, "StandingStill" | "TooFar">
      readonly detail: string
    }

/** Plans a move: the first move is free to any space; then 1–3 steps are free, 4–6 cost (steps − 3) × 2M, 0 and 7 are refused. */
export const plan = (from: Space.Space | null, to: Space.Space): Plan => {
  if (from === null) return { _tag: "Free", steps: 0 }
  const steps = Space.clockwiseSteps(from, to)
  if (steps === 0) {
    return { _tag: "Refused", reason: "StandingStill", detail: `already on ${to}; a nation must move` }
  }
  if (steps > maxSteps) {
    return {
      _tag: "Refused",
      reason: "TooFar",
      detail: `${to} is ${steps} spaces clockwise from ${from}; at most ${maxSteps} are allowed`
    }
  }
  return steps <= freeSteps
    ? { _tag: "Free", steps }
    : { _tag: "Paid", steps, amount: (steps - freeSteps) * costPerExtraStep }
}
