import { Console, Effect, Layer, Schema } from "effect"
import * as PgJournal from "../../src/pg/PgJournal.js"
import * as Placement from "../../src/pg/Placement.js"
import type * as Application from "../../src/commit/Application.js"
import type * as Bus from "../../src/commit/Bus.js"
import type { CommitBoundary } from "../../src/commit/CommitBoundary.js"
import type * as Faults from "../../src/commit/Faults.js"
import type * as Timers from "../../src/commit/Timers.js"
import type * as ActorSystem from "../../src/runtime/ActorSystem.js"
import type * as AccountingClient from "../accounting/AccountingClient.js"
import type * as RondelClient from "../rondel/RondelClient.js"
import * as RondelHost from "../rondel/RondelHost.js"
import * as Commands from "./Commands.js"
import * as DeliveryInspector from "./DeliveryInspector.js"
import * as ImperialApp from "./ImperialApp.js"
import * as SandboxClock from "./SandboxClock.js"
import * as SandboxError from "./SandboxError.js"
import * as Silence from "./Silence.js"

/** Which commit boundary the application runs on: memory (direct commit) or Postgres (outbox, relay, inbox). */
export type BoundaryChoice =
  | { readonly _tag: "memory" }
  | {
      readonly _tag: "postgres"
      readonly placement: Placement.Placement
      /** The hosts whose actors run here (default both; none: a front door only). */
      readonly local?: ReadonlyArray<ImperialApp.HostName>
    }

/** The services the sandbox drives; every boundary's layer provides all of them (a durable one adds a DeliveryInspector). */
export type Services =
  | Application.Application
  | Bus.Bus
  | Faults.Faults
  | ActorSystem.ActorSystem
  | CommitBoundary
  | RondelClient.RondelClient
  | AccountingClient.AccountingClient
  | Timers.Timers
  | SandboxClock.SandboxClock
  | Silence.Silence

/** The chosen boundary cannot be started (not wired, no database URL, a bad setting). */
export class BoundaryUnavailable extends Schema.TaggedError<BoundaryUnavailable>()("BoundaryUnavailable", {
  boundary: Schema.String,
  message: Schema.String
}) {}

/** The whole application over the chosen boundary: the only place the sandbox picks one. */
export const layer = (choice: BoundaryChoice): Layer.Layer<Services, BoundaryUnavailable> => {
  switch (choice._tag) {
    case "memory":
      // In memory the clock is adjustable (`clock advance`), so timers can be seen firing without waiting.
      return Layer.unwrapEffect(
        Effect.map(
          Effect.all([SandboxClock.makeAdjustable, paymentDeadline]),
          ([{ clock, service }, deadline]) => {
            const silence = Silence.make()
            return ImperialApp.layerMemoryWith(silence.wrap, { paymentDeadline: deadline }).pipe(
              Layer.provide(Layer.setClock(clock)),
              Layer.merge(Layer.succeed(SandboxClock.SandboxClock, service)),
              Layer.merge(Layer.succeed(Silence.Silence, silence.service))
            )
          }
        )
      )
    case "postgres": {
      const unplaced = Placement.unplaced(choice.placement, ImperialApp.hostNames)
      if (unplaced.length > 0) {
        return Layer.fail(
          new BoundaryUnavailable({
            boundary: "postgres",
            message: `no database for ${unplaced.join(", ")}: pass --database-url URL (or HOST=URL per host) or set DATABASE_URL`
          })
        )
      }
      // The relay's view (outbox, inbox, relay-parked rows, lag) lights up the sandbox's delivery commands.
      const silence = Silence.make()
      const application = Layer.unwrapEffect(
        Effect.map(paymentDeadline, (deadline) =>
          ImperialApp.layerPostgres({
            wrap: silence.wrap,
            placement: choice.placement,
            ...(choice.local === undefined ? {} : { local: choice.local }),
            relay: { maxAttempts: Commands.relayMaxAttempts },
            paymentDeadline: deadline,
            // Straight to stderr: the interactive mode logs only errors, and waiting for the database is not one.
            connectRetry: { onWait: (wait) => Console.error(`mailroom sandbox: ${wait.message}`) }
          })
        )
      )
      return Layer.merge(
        DeliveryInspector.layerRelay,
        // What `flow` reads: audit logs and box rows, on a few connections of its own.
        PgJournal.layer({ hosts: ImperialApp.definitions, placement: choice.placement })
      ).pipe(
        Layer.provideMerge(application),
        Layer.mapError(
          (error) =>
            new BoundaryUnavailable({ boundary: "postgres", message: SandboxError.describeDeep(error) })
        ),
        Layer.merge(SandboxClock.layerReal),
        Layer.merge(Layer.succeed(Silence.Silence, silence.service))
      )
    }
  }
}

// internal

/** The deployment's payment deadline (`MAILROOM_PAYMENT_DEADLINE`, 60 s by default); a bad value stops the start. */
const paymentDeadline = Effect.mapError(
  RondelHost.paymentDeadlineConfig,
  (error) =>
    new BoundaryUnavailable({ boundary: "config", message: `MAILROOM_PAYMENT_DEADLINE: ${String(error)}` })
)
