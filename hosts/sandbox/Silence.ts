import { Context, Effect } from "effect"
import * as Decision from "../../src/commit/Decision.js"
import type { AnyHostDefinition } from "../../src/commit/HostDefinition.js"

/**
 * The sandbox's `fault drop-<host>`: the host takes its next messages and does nothing with them (no state change, no
 * answer), as a context that never answers would. Wired into the host definitions the sandbox runs in this process;
 * it is fault injection of the sandbox, not part of any domain.
 */
export class Silence extends Context.Tag("mailroom/sandbox/Silence")<
  Silence,
  {
    /** Makes `host` drop its next `count` messages. */
    readonly arm: (host: string, count: number) => Effect.Effect<void>
    /** Drops still armed, per host. */
    readonly armed: Effect.Effect<ReadonlyArray<{ readonly host: string; readonly remaining: number }>>
    readonly clear: Effect.Effect<void>
  }
>() {}

/** A silence with nothing armed, and the wrapper that makes a host definition honour it. */
export const make = () => {
  const remaining = new Map<string, number>()
  const service = Silence.of({
    arm: (host, count) =>
      Effect.sync(() => {
        if (count > 0) remaining.set(host, (remaining.get(host) ?? 0) + count)
      }),
    armed: Effect.sync(() => [...remaining].map(([host, n]) => ({ host, remaining: n }))),
    clear: Effect.sync(() => remaining.clear())
  })
  const wrap = <D extends AnyHostDefinition>(definition: D): D => ({
    ...definition,
    decide: (state, message, context) => {
      const left = remaining.get(definition.name) ?? 0
      if (left === 0) return definition.decide(state, message, context)
      if (left === 1) remaining.delete(definition.name)
      else remaining.set(definition.name, left - 1)
      return Decision.none
    }
  })
  return { service, wrap }
}
