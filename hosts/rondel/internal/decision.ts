import { Array as Arr } from "effect"
import type * as Decision from "../../../src/commit/Decision.js"
import type * as Contracts from "../../contracts/Contracts.js"
import type * as Nation from "../../contracts/Nation.js"
import * as RondelMessages from "../../contracts/RondelMessages.js"
import * as Space from "../../contracts/Space.js"
import type * as RondelState from "../RondelState.js"

/** What Rondel's decide and each of its handlers return for one message (it may schedule its own payment deadlines). */
export type RondelDecision = Decision.Decision<
  RondelState.RondelState,
  Contracts.RondelEvent,
  Contracts.RondelOutbound,
  Contracts.RondelScheduled
>

/** The nation's entry in the game, if it plays in it. */
export const findNation = (
  state: RondelState.RondelState,
  nation: Nation.Nation
): RondelState.NationOnRondel | undefined => state.nations.find((entry) => entry.nation === nation)

/** The state with one nation's entry replaced. */
export const withNation = (
  state: RondelState.RondelState,
  updated: RondelState.NationOnRondel
): RondelState.RondelState => ({
  ...state,
  nations: Arr.map(state.nations, (entry) => (entry.nation === updated.nation ? updated : entry))
})

/** A nation landed on `space`. */
export const actionDetermined = (
  state: RondelState.RondelState,
  nation: Nation.Nation,
  space: Space.Space
): RondelMessages.ActionDetermined =>
  RondelMessages.ActionDetermined.make({
    gameId: state.gameId,
    nation,
    space,
    action: Space.actionOf(space)
  })

/** The deadline to cancel with a pending move that ends before it falls due (none for a move stored without one). */
export const cancelDeadline = (pending: RondelState.PendingPayment | null): ReadonlyArray<string> =>
  pending?.deadline == null ? [] : [pending.deadline]
