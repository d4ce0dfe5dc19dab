import { Array as Arr } from "effect"
import * as Decision from "../../../src/commit/Decision.js"
import * as RondelMessages from "../../contracts/RondelMessages.js"
import type * as RondelState from "../RondelState.js"
import type { RondelDecision } from "./decision.js"

/** Creates a game with every nation off the wheel; a game that already exists is left as it is. */
export const setToStartingPositions = (
  state: RondelState.RondelState | undefined,
  message: RondelMessages.SetToStartingPositions
): RondelDecision =>
  state !== undefined
    ? Decision.none
    : Decision.make({
        state: {
          gameId: message.gameId,
          nations: Arr.map(message.nations, (nation) => ({ nation, position: null, pending: null })),
          recentMoves: []
        },
        events: [RondelMessages.PositionedAtStart.make({ gameId: message.gameId, nations: message.nations })]
      })
