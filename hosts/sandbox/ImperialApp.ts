import { Layer } from "effect"
import * as Application from "../../src/commit/Application.js"
import * as DirectCommit from "../../src/commit/DirectCommit.js"
import * as MessageIds from "../../src/commit/MessageIds.js"
import * as ActorSystem from "../../src/runtime/ActorSystem.js"
import * as AccountingHost from "../accounting/AccountingHost.js"
import * as RondelHost from "../rondel/RondelHost.js"

/** Both bounded contexts of the reference application. */
export const definitions = [RondelHost.definition, AccountingHost.definition] as const

/** The Rondel and Accounting front doors over a running application (choose the boundary by the layer below it). */
export const layerHosts = Layer.merge(RondelHost.layer, AccountingHost.layer)

/** The whole application on the in-memory direct-commit boundary. */
export const layerMemory = layerHosts.pipe(
  Layer.provideMerge(Application.layer(definitions)),
  Layer.provideMerge(DirectCommit.layerMemory),
  Layer.provideMerge(ActorSystem.layer),
  Layer.provideMerge(MessageIds.layer)
)
