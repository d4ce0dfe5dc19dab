import * as SimulatedDurableStore from "./simStore.js"
import * as Rng from "./rng.js"
import * as SimMachine from "./simMachine.js"
import type { Decision, EngineInput, Fault, Run } from "./simTypes.js"

/** Names of the guarantees of the durable boundary, checked in every run on top of the user's invariants. */
export const boundaryInvariants = SimMachine.boundaryInvariants

/** Runs one seed: the seed's generator chooses every step and fault. */
export const runRandom = (input: EngineInput, seed: number): Run => {
  const sim = SimMachine.make(input, seed)
  const rng = Rng.make(seed, 1)
  const rates = input.faults
  let next = 0
  while (sim.violations.length === 0) {
    if (next >= input.items.length && sim.store.backlog() === 0) {
      sim.converge()
      break
    }
    if (sim.tooLong()) break
    const lanes = sim.deliverable()
    const canSend = next < input.items.length
    if (!canSend && lanes.length === 0) {
      if (!sim.waitForWake()) break
      continue
    }
    const advance = rng.int(0, rates.maxAdvance + 1)
    const faultsLeft = sim.faultCount() < rates.maxFaults
    const downFor = () => rng.int(rates.downtime[0], rates.downtime[1])
    let decision: Decision
    const up = input.hosts.map((host) => host.name).filter(sim.isUp)
    if (faultsLeft && up.length > 0 && rng.chance(rates.restart)) {
      decision = { _tag: "Crash", host: rng.pick(up), millis: downFor(), advance }
    } else if (faultsLeft && lanes.length > 0 && rng.chance(rates.delay)) {
      decision = { _tag: "Delay", lane: rng.pick(lanes), millis: downFor(), advance }
    } else {
      const choice = rng.int(0, lanes.length + (canSend ? 1 : 0))
      if (choice === lanes.length) {
        decision = { _tag: "Send", item: next++, advance }
      } else {
        const lane = lanes[choice]!
        const row = rng.pick(sim.store.candidates(lane))
        let fault: Fault = "none"
        if (faultsLeft) {
          const roll = rng.next()
          if (roll < rates.crash) {
            fault = rng.pick(
              row.from === SimulatedDurableStore.client
                ? (["crashBeforeCommit", "crashAfterCommit"] as const)
                : (["crashBeforeCommit", "crashAfterCommit", "crashAfterDelivery"] as const)
            )
          } else if (roll < rates.crash + rates.duplicate) fault = "duplicate"
        }
        decision = {
          _tag: "Deliver",
          lane,
          seq: row.seq,
          fault,
          downFor: fault === "none" ? 0 : downFor(),
          advance
        }
      }
    }
    if (sim.apply(decision)) sim.checkStep()
  }
  return sim.result()
}

/**
 * Replays decisions (skipping those that no longer apply, waiting for a held lane or a crashed host when needed),
 * then delivers whatever is left, oldest row first and without faults, until the run converges.
 */
export const replay = (input: EngineInput, decisions: ReadonlyArray<Decision>, seed: number): Run => {
  const sim = SimMachine.make(input, seed)
  for (const decision of decisions) {
    if (sim.violations.length > 0 || sim.tooLong()) break
    if (sim.apply(decision)) sim.checkStep()
  }
  while (sim.violations.length === 0) {
    if (sim.store.backlog() === 0) {
      sim.converge()
      break
    }
    if (sim.tooLong()) break
    const lanes = sim.deliverable()
    if (lanes.length === 0) {
      if (!sim.waitForWake()) break
      continue
    }
    let oldest = sim.store.candidates(lanes[0]!)[0]!
    for (const lane of lanes) {
      const head = sim.store.candidates(lane)[0]!
      if (head.id < oldest.id) oldest = head
    }
    if (
      sim.apply({
        _tag: "Deliver",
        lane: oldest.lane,
        seq: oldest.seq,
        fault: "none",
        downFor: 0,
        advance: 1
      })
    )
      sim.checkStep()
  }
  return sim.result()
}
