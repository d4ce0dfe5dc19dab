import { replay } from "./simEngine.js"
import type { Decision, EngineInput, Run } from "./simTypes.js"

/** A failing run made smaller: fewer steps, fewer commands, fewer faults, failing the same invariant. */
export interface Shrunk {
  readonly run: Run
  /** Replays tried. */
  readonly replays: number
}

/**
 * Shrinks a failing run by replaying its decisions with parts removed (delta debugging over the decision list:
 * chunks of steps, then single steps, then faults turned into plain deliveries), keeping every change after which
 * the same invariant still fails. Deterministic: the same failing run always shrinks to the same result.
 */
export const shrink = (input: EngineInput, failed: Run, maxReplays: number): Shrunk => {
  const target = failed.violations[0]?.invariant
  if (target === undefined) return { run: failed, replays: 0 }
  let replays = 0
  const fails = (decisions: ReadonlyArray<Decision>): Run | undefined => {
    replays++
    const run = replay(input, decisions, failed.seed)
    return run.violations.some((violation) => violation.invariant === target) ? run : undefined
  }

  let best = fails(failed.decisions)
  if (best === undefined) return { run: failed, replays }
  let decisions: ReadonlyArray<Decision> = failed.decisions

  let parts = 2
  while (decisions.length >= 2 && replays < maxReplays) {
    const size = Math.ceil(decisions.length / parts)
    let reduced = false
    // From the end first: the shortest failing prefix is usually most of the gain.
    for (let start = Math.floor((decisions.length - 1) / size) * size; start >= 0; start -= size) {
      if (replays >= maxReplays) break
      const candidate = [...decisions.slice(0, start), ...decisions.slice(start + size)]
      const run = fails(candidate)
      if (run !== undefined) {
        decisions = candidate
        best = run
        parts = Math.max(parts - 1, 2)
        reduced = true
        break
      }
    }
    if (!reduced) {
      if (parts >= decisions.length) break
      parts = Math.min(decisions.length, parts * 2)
    }
  }

  for (let i = 0; i < decisions.length && replays < maxReplays; i++) {
    const decision = decisions[i]!
    if (decision._tag !== "Deliver" || decision.fault === "none") continue
    const candidate = decisions.slice()
    candidate[i] = { ...decision, fault: "none", downFor: 0 }
    const run = fails(candidate)
    if (run !== undefined) {
      decisions = candidate
      best = run
    }
  }
  return { run: best, replays }
}
