/** The counter of examples/counter, evolved: a message and the stored state each changed shape, old ones still read. */
import { Schema } from "effect"
import { Decision, HostDefinition, Versioned } from "../../src/index.js"

// Increment v2 says `amount` (v1 said `by`) and may carry a note. Messages written at v1 (in an inbox, an outbox, an
// audit log, a client not yet upgraded) are read with v1's own Schema and lifted to v2.
export const IncrementV1 = Schema.TaggedStruct("Increment", { counter: Schema.String, by: Schema.Int })
export const Increment = Schema.TaggedStruct("Increment", {
  counter: Schema.NonEmptyTrimmedString,
  amount: Schema.Int.pipe(Schema.positive()),
  note: Schema.optionalWith(Schema.String, { exact: true })
})
export const Incremented = Schema.TaggedStruct("Incremented", { counter: Schema.String, value: Schema.Int })

// The state v2 also counts increments (v1 was `{ value }`). A stored v1 state is lifted when loaded; a commit
// writes `{ "schemaVersion": 2, ... }`.
export const StateV1 = Schema.Struct({ value: Schema.Int })
export const State = Schema.Struct({ value: Schema.Int, increments: Schema.Int })

export const definition = HostDefinition.fromSchemas({
  name: "counter",
  state: Versioned.state(State, {
    version: 2,
    upcasts: [Versioned.upcast(1, StateV1, (old) => ({ value: old.value, increments: 0 }))]
  }),
  inbound: Increment,
  events: Incremented,
  versions: [
    Versioned.message(Increment, {
      version: 2,
      // A plain object, not `Increment.make` (which would throw): the result is checked against v2's Schema.
      upcasts: [
        Versioned.upcast(1, IncrementV1, (old) => ({
          _tag: "Increment" as const,
          counter: old.counter,
          amount: old.by
        }))
      ]
    })
  ],
  keyOf: (command) => command.counter,
  decide: (state, { counter, amount }) => {
    const next = { value: (state?.value ?? 0) + amount, increments: (state?.increments ?? 0) + 1 }
    return Decision.make({ state: next, events: [Incremented.make({ counter, value: next.value })] })
  }
})
