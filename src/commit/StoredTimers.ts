import { Effect, Layer } from "effect"
import { Storages } from "./ContextStorage.js"
import { Timers, order } from "./Timers.js"

/** Most scheduled messages one listing reads per context. */
export const listLimit = 1000

/** The scheduled messages of a durable deployment, read from every context's outbox (rows with a due time). */
export const layer: Layer.Layer<Timers, never, Storages> = Layer.effect(
  Timers,
  Effect.map(Storages, (storages) =>
    Timers.of({
      pending: Effect.map(
        Effect.forEach(storages.all, (storage) => storage.scheduled(listLimit), { concurrency: "unbounded" }),
        (lists) => lists.flat().sort(order)
      )
    })
  )
)
