import { Context, DefaultServices, Effect, Option, Tracer } from "effect"

/** The W3C `traceparent` of a span, carried in envelopes so one flow is one trace across hosts and processes. */
export const traceparentOf = (span: Tracer.AnySpan): string =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/** The span a `traceparent` names, to continue its trace (undefined when absent or malformed). */
export const parentOf = (traceparent: string | undefined): Tracer.AnySpan | undefined => {
  if (traceparent === undefined) return undefined
  const match = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/.exec(traceparent)
  if (match === null) return undefined
  return Tracer.externalSpan({ traceId: match[1]!, spanId: match[2]!, sampled: match[3] === "01" })
}

/** The `traceparent` of the span the caller runs in, if any (without failing, which would cost a stack trace). */
export const currentTraceparent: Effect.Effect<string | undefined> = Effect.map(
  Effect.serviceOption(Tracer.ParentSpan),
  (span) => (Option.isSome(span) ? traceparentOf(span.value) : undefined)
)

/**
 * Whether the fiber's tracer exports spans (e.g. `@effect/opentelemetry`'s). Effect's built-in tracer keeps spans in
 * memory where nobody reads them; recording them costs tens of microseconds per message, so with it the runtime
 * records none and passes trace context on unchanged.
 */
export const exporting: Effect.Effect<boolean> = Effect.tracerWith((tracer) =>
  Effect.succeed(tracer !== builtInTracer)
)

/** Runs `traced(true)` when a tracer that exports spans is installed, else `traced(false)` (see `exporting`). */
export const ifExporting = <A, E, R>(
  traced: (exporting: boolean) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.tracerWith((tracer) => traced(tracer !== builtInTracer))

// internal

/** Effect's default tracer, as a fiber sees it when no tracer layer is provided (read from a value, not run). */
const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)
