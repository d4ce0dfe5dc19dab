import { Effect, Layer } from "effect"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Relay from "../../src/commit/Relay.js"
import { scenarios } from "../contract/ImperialScenarios.js"
import { paymentDeadline } from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// The Imperial contract on the durable Postgres boundary, each scenario on a database of its own (the same
// scenarios run in memory in tests/app/contract.memory.test.ts).
scenarios(
  "Imperial contract on the Postgres boundary",
  () =>
    Layer.unwrapScoped(
      Effect.map(freshDatabase(), ({ url }) =>
        ImperialApp.layerPostgres({ url, relay: { pollInterval: "50 millis" }, paymentDeadline })
      )
    ),
  {
    hold: (host, key) => Effect.flatMap(Relay.Relay, (relay) => relay.holdKey(host, key)),
    // Each scenario has its own database.
    concurrent: true
  }
)
