import { Console, Layer, Redacted, Schema } from "effect"
import type * as Application from "../../src/commit/Application.js"
import type * as Bus from "../../src/commit/Bus.js"
import type { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import type * as Faults from "../../src/commit/Faults.js"
import type * as ActorSystem from "../../src/runtime/ActorSystem.js"
import type * as AccountingHost from "../accounting/AccountingHost.js"
import type * as RondelHost from "../rondel/RondelHost.js"
import * as Commands from "./Commands.js"
import * as DeliveryInspector from "./DeliveryInspector.js"
import * as ImperialApp from "./ImperialApp.js"
import * as SandboxError from "./SandboxError.js"

/** Where the application keeps its state: in memory (direct commit) or in Postgres (outbox, relay, inbox). */
export type StoreChoice =
  | { readonly _tag: "memory" }
  | { readonly _tag: "postgres"; readonly databaseUrl: Redacted.Redacted | undefined }

/** The services the sandbox drives; every store layer provides all of them (a durable one adds a DeliveryInspector). */
export type Services =
  | Application.Application
  | Bus.Bus
  | Faults.Faults
  | ActorSystem.ActorSystem
  | CommitBoundary
  | RondelHost.RondelHost
  | AccountingHost.AccountingHost

/** The chosen store cannot be started (not wired, no database URL). */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  store: Schema.String,
  message: Schema.String
}) {}

/** The whole application over the chosen store: the only place the sandbox picks a boundary. */
export const layer = (choice: StoreChoice): Layer.Layer<Services, StoreUnavailable> => {
  switch (choice._tag) {
    case "memory":
      return ImperialApp.layerMemory
    case "postgres":
      if (choice.databaseUrl === undefined) {
        return Layer.fail(
          new StoreUnavailable({
            store: "postgres",
            message: "no database URL: pass --database-url URL or set DATABASE_URL"
          })
        )
      }
      // The relay's view (outbox, inbox, relay-parked rows, lag) lights up the sandbox's delivery commands.
      return DeliveryInspector.layerRelay.pipe(
        Layer.provideMerge(
          ImperialApp.layerPostgres({
            url: Redacted.value(choice.databaseUrl),
            relay: { maxAttempts: Commands.relayMaxAttempts },
            // Straight to stderr: the interactive mode logs only errors, and waiting for the database is not one.
            connectRetry: { onWait: (wait) => Console.error(`mailroom sandbox: ${wait.message}`) }
          })
        ),
        Layer.mapError(
          (error) => new StoreUnavailable({ store: "postgres", message: SandboxError.describeDeep(error) })
        )
      )
  }
}
