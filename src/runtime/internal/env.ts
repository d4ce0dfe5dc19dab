import type { Duration, Effect, Exit } from "effect"
import type * as Actor from "../Actor.js"
import type * as Supervisor from "../Supervisor.js"
import type { Pending } from "./pending.js"

/** What an actor needs from its system. */
export interface ActorEnv {
  readonly policy: Supervisor.SupervisionPolicy
  readonly mailboxCapacity: number
  readonly idleTimeout: Duration.DurationInput
  readonly maxConcurrentKeys: number | undefined
  readonly shutdownTimeout: Duration.DurationInput
  readonly pending: Pending
  readonly escalate: (escalation: Supervisor.Escalation) => Effect.Effect<void>
  readonly restarted: (restart: Supervisor.Restart) => Effect.Effect<void>
  readonly register: (actor: ActorInstance) => void
  readonly unregister: (actor: ActorInstance) => void
}

/** A running actor as seen by its system. */
export interface ActorInstance {
  readonly stats: () => Actor.ActorStats
  /** Stops accepting messages, drains up to the shutdown timeout (unless `exit` is a failure), then interrupts. */
  readonly shutdown: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
}
