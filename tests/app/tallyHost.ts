import { Either, Schema } from "effect"
import * as Decision from "../../src/commit/Decision.js"
import * as HostDefinition from "../../src/commit/HostDefinition.js"

// A third bounded context for the tests: it subscribes to the same events as Rondel (a second subscriber),
// and records which ones it saw, once per message id.

export const TallyState = Schema.Struct({ seen: Schema.Array(Schema.Tuple(Schema.String, Schema.String)) })
export type TallyState = typeof TallyState.Type

interface Seen {
  readonly type: string
  readonly gameId: string
}

export const definition = HostDefinition.make<TallyState, Seen, never, never>({
  name: "tally",
  state: TallyState,
  consumes: ["RondelInvoicePaid", "ActionDetermined"],
  publishes: [],
  sends: [],
  decode: (message) => {
    const gameId = (message.payload as { readonly gameId?: unknown } | null)?.gameId
    return typeof gameId === "string"
      ? Either.right({ type: message.type, gameId })
      : Either.left({ message: "payload has no gameId" })
  },
  encode: (message) => ({ type: message.type, version: 1, payload: { gameId: message.gameId } }),
  keyOf: (message) => message.gameId,
  decide: (state, message, ctx) =>
    state?.seen.some(([id]) => id === ctx.messageId)
      ? Decision.none
      : Decision.make({ state: { seen: [...(state?.seen ?? []), [ctx.messageId, message.type] as const] } })
})
