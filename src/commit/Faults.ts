import { Context, Effect, Layer, Option, Schema } from "effect"
import type { Envelope } from "../runtime/Envelope.js"

/** Where a fault can be injected: a boundary step, or inside a host's handler. */
export type FaultPoint = "save" | "publish" | "dispatch" | "relay" | "crash"

/** A failure injected on purpose (sandbox `fault`, tests, simulation). */
export class InjectedFault extends Schema.TaggedError<InjectedFault>()("InjectedFault", {
  point: Schema.String,
  host: Schema.String,
  message: Schema.String
}) {}

/** Which messages a crash fault applies to. */
export interface CrashTarget {
  /** Host whose handler dies. */
  readonly host: string
  /** Only messages of this type (any when absent). */
  readonly type?: string
  /** Only this message id (any when absent). */
  readonly messageId?: string
}

/**
 * Arms failures at the boundary's steps and in handlers (a test tool, also used by the sandbox). Optional: the
 * components consult it at their fault points only when a layer installs it (see `installed`); without it they check
 * nothing.
 */
export class Faults extends Context.Tag("mailroom/commit/Faults")<
  Faults,
  {
    /** Makes the next `count` operations at `point` fail (optionally only for one host). */
    readonly arm: (point: Exclude<FaultPoint, "crash">, count: number, host?: string) => Effect.Effect<void>
    /** Makes a host's handler die on the next `count` matching messages. */
    readonly armCrash: (target: CrashTarget, count: number) => Effect.Effect<void>
    /** Fails with InjectedFault when a fault is armed for this point and host, consuming one. */
    readonly check: (point: Exclude<FaultPoint, "crash">, host: string) => Effect.Effect<void, InjectedFault>
    /** Dies (a defect, as a bug would) when a crash is armed for this host and message, consuming one. */
    readonly checkCrash: (host: string, envelope: Envelope) => Effect.Effect<void>
    /** Faults still armed, for display. */
    readonly armed: Effect.Effect<
      ReadonlyArray<{ readonly point: FaultPoint; readonly host?: string; readonly remaining: number }>
    >
    /** Disarms everything. */
    readonly clear: Effect.Effect<void>
  }
>() {}

interface Armed {
  readonly point: FaultPoint
  readonly host?: string
  readonly target?: CrashTarget
  remaining: number
}

/** Builds a fault injector with nothing armed. */
export const make = Effect.sync(() => {
  const armed: Array<Armed> = []
  // Fast path: no allocation or search while nothing is armed (most of the time, even in tests).
  let count = 0

  const take = (predicate: (entry: Armed) => boolean): boolean => {
    if (count === 0) return false
    const index = armed.findIndex((entry) => entry.remaining > 0 && predicate(entry))
    if (index < 0) return false
    const entry = armed[index]!
    entry.remaining--
    count--
    if (entry.remaining === 0) armed.splice(index, 1)
    return true
  }

  return Faults.of({
    arm: (point, n, host) =>
      Effect.sync(() => {
        if (n <= 0) return
        armed.push(host === undefined ? { point, remaining: n } : { point, host, remaining: n })
        count += n
      }),
    armCrash: (target, n) =>
      Effect.sync(() => {
        if (n <= 0) return
        armed.push({ point: "crash", host: target.host, target, remaining: n })
        count += n
      }),
    check: (point, host) =>
      take((entry) => entry.point === point && (entry.host === undefined || entry.host === host))
        ? Effect.fail(new InjectedFault({ point, host, message: `injected ${point} failure` }))
        : Effect.void,
    checkCrash: (host, envelope) =>
      take(
        (entry) =>
          entry.point === "crash" &&
          entry.target !== undefined &&
          entry.target.host === host &&
          (entry.target.type === undefined || entry.target.type === envelope.type) &&
          (entry.target.messageId === undefined || entry.target.messageId === envelope.messageId)
      )
        ? Effect.die(new Error(`injected crash of ${host} handling ${envelope.type} ${envelope.messageId}`))
        : Effect.void,
    armed: Effect.sync(() =>
      armed.map((entry) =>
        entry.host === undefined
          ? { point: entry.point, remaining: entry.remaining }
          : { point: entry.point, host: entry.host, remaining: entry.remaining }
      )
    ),
    clear: Effect.sync(() => {
      armed.length = 0
      count = 0
    })
  })
})

/** A fault injector with nothing armed, for tests and the sandbox; the components below it consult it. */
export const layer: Layer.Layer<Faults> = Layer.effect(Faults, make)

/**
 * The fault injector a component consults, read once when the component is built: the installed one, or undefined
 * when none is (production), so the component checks nothing at all.
 */
export const installed: Effect.Effect<Faults["Type"] | undefined> = Effect.map(
  Effect.serviceOption(Faults),
  Option.getOrUndefined
)
