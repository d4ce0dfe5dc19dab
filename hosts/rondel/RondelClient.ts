import { Context, Effect, Layer } from "effect"
import * as Application from "../../src/commit/Application.js"
import type { PersistenceError } from "../../src/commit/CommitBoundary.js"
import type * as Host from "../../src/commit/Host.js"
import type { Envelope } from "../../src/runtime/Envelope.js"
import type * as GameId from "../contracts/GameId.js"
import type * as RondelMessages from "../contracts/RondelMessages.js"
import * as Rondel from "./Rondel.js"
import * as RondelHost from "./RondelHost.js"

/** Commands a caller may send to Rondel from outside. */
export type RondelCommand = RondelMessages.SetToStartingPositions | RondelMessages.Move

/** Rondel's client: its front door and its queries (which read state, not the mailbox), wherever Rondel runs. */
export class RondelClient extends Context.Tag("imperial/RondelClient")<
  RondelClient,
  {
    /** Sends a command (optionally with its causation/correlation); returns its envelope once acknowledged. */
    readonly send: (command: RondelCommand, origin?: Host.Origin) => Effect.Effect<Envelope, Host.SendError>
    /** Every nation's confirmed space and pending move; undefined for an unknown game. */
    readonly positions: (
      gameId: GameId.GameId
    ) => Effect.Effect<ReadonlyArray<Rondel.Position> | undefined, PersistenceError>
    /** The game's nations; undefined for an unknown game. */
    readonly overview: (gameId: GameId.GameId) => Effect.Effect<Rondel.Overview | undefined, PersistenceError>
    /** Ids of every game Rondel knows. */
    readonly games: Effect.Effect<ReadonlyArray<string>, PersistenceError>
  }
>() {}

/** Rondel's client over the running application. */
export const layer: Layer.Layer<RondelClient, never, Application.Application> = Layer.effect(
  RondelClient,
  Effect.map(Application.Application, (app) => {
    const host = app.frontDoor(RondelHost.definition)
    return RondelClient.of({
      send: Effect.fn("RondelClient.send")((command: RondelCommand, origin?: Host.Origin) =>
        host.send(command, origin)
      ),
      positions: (gameId) =>
        Effect.map(host.state(gameId), (state) =>
          state === undefined ? undefined : Rondel.positions(state)
        ),
      overview: (gameId) =>
        Effect.map(host.state(gameId), (state) => (state === undefined ? undefined : Rondel.overview(state))),
      games: host.keys
    })
  })
)
