import { type Context, type Exit, type Option, Tracer } from "effect"

/** A tracer whose trace and span ids are counters (hex, W3C-sized), so envelopes carrying trace context repeat exactly. */
export const make = (): Tracer.Tracer => {
  let traces = 0
  let spans = 0
  return Tracer.make({
    span: (name, parent, context, links, startTime, kind) =>
      new CountedSpan(
        name,
        parent,
        context,
        links,
        startTime,
        kind,
        parent._tag === "Some" ? parent.value.traceId : hex(++traces, 32),
        hex(++spans, 16)
      ),
    context: (f) => f()
  })
}

// internal

class CountedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly sampled = true
  status: Tracer.SpanStatus
  readonly attributes = new Map<string, unknown>()
  readonly links: Array<Tracer.SpanLink>

  constructor(
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind,
    readonly traceId: string,
    readonly spanId: string
  ) {
    this.status = { _tag: "Started", startTime }
    this.links = [...links]
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }

  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }

  event(): void {}

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0")
