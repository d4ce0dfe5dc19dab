/** A host that is not Imperial: named counters that never go above a limit, on the in-memory boundary. */
import { Effect, Schema } from "effect"
import { Application, Decision, HostDefinition, Mailroom } from "../../src/index.js"

/** A counter never goes above this; an increment that would pass it is rejected (as an event). */
export const limit = 10

// The messages: one command in, two events out.
export const Increment = Schema.TaggedStruct("Increment", {
  counter: Schema.NonEmptyTrimmedString,
  by: Schema.Int.pipe(Schema.positive())
})
export const Incremented = Schema.TaggedStruct("Incremented", { counter: Schema.String, value: Schema.Int })
export const IncrementRejected = Schema.TaggedStruct("IncrementRejected", {
  counter: Schema.String,
  by: Schema.Int,
  reason: Schema.String
})
type Event = typeof Incremented.Type | typeof IncrementRejected.Type

/**
 * The counter declared as a host from its schemas: the routing lists and the wire codec (which rejects
 * untrusted input naming the field) are derived from the tagged structs; only `decide` is written by hand.
 */
export const definition = HostDefinition.fromSchemas({
  name: "counter",
  state: Schema.Struct({ value: Schema.Int }),
  inbound: Increment,
  events: Schema.Union(Incremented, IncrementRejected),
  keyOf: (command) => command.counter,
  decide: (state, { counter, by }): Decision.Decision<{ value: number }, Event, never> => {
    const value = (state?.value ?? 0) + by
    return value > limit
      ? Decision.make({ events: [IncrementRejected.make({ counter, by, reason: `would pass ${limit}` })] })
      : Decision.make({ state: { value }, events: [Incremented.make({ counter, value })] })
  }
})

/** The application: the counter host on the in-memory direct-commit boundary (see CounterPg.ts for PostgreSQL). */
export const layer = Mailroom.layerMemory({ hosts: [definition] })

/** Increments a counter: acknowledged once enqueued; the outcome is an event in the host's audit log. */
export const increment = (counter: string, by: number) =>
  Effect.flatMap(Application.Application, (app) =>
    app.host(definition).send({ counter, by, _tag: "Increment" })
  )

/** A counter's current value (0 when it was never incremented). */
export const value = (counter: string) =>
  Effect.flatMap(Application.Application, (app) =>
    Effect.map(app.host(definition).state(counter), (state) => state?.value ?? 0)
  )
