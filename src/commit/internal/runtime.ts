import { type ConfigError, Layer } from "effect"
import * as ActorSystem from "../../runtime/ActorSystem.js"
import * as Bus from "../Bus.js"
import * as MessageIds from "../MessageIds.js"

/**
 * The services every boundary runs on: the actor system, random message ids and the bus (fault injection is a test
 * tool, installed only by tests and the sandbox: see `Faults`).
 */
export const layer = (
  system: ActorSystem.ActorSystemOptions = {}
): Layer.Layer<ActorSystem.ActorSystem | MessageIds.MessageIds | Bus.Bus> =>
  Layer.mergeAll(ActorSystem.layerWith(system), MessageIds.layer, Bus.layer)

/** The same, with the actor system's settings read from the environment (`MAILROOM_*`, see `ActorSystem.config`). */
export const layerConfig: Layer.Layer<
  ActorSystem.ActorSystem | MessageIds.MessageIds | Bus.Bus,
  ConfigError.ConfigError
> = Layer.mergeAll(ActorSystem.layerConfig, MessageIds.layer, Bus.layer)
