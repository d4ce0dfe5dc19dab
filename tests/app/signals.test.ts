import { assert, describe, it } from "@effect/vitest"
import * as Signals from "../../src/commit/internal/signals.js"

describe("relay wake-ups in one process", () => {
  // The doorbell a loop waits on (made when the loop starts), and how often it has rung.
  const rings = (signals: Signals.Signals, box: "inbox" | "outbox", host: string) => {
    const bell = signals.bell({ box, host })
    return () => bell.rung()
  }

  it("a notification heard rings the doorbell of its host and box, and nothing else", () => {
    const signals = Signals.make()
    const deliverA = rings(signals, "inbox", "a")
    const forwardA = rings(signals, "outbox", "a")
    const deliverB = rings(signals, "inbox", "b")
    signals.heard({ box: "inbox", host: "a" })
    signals.heard({ box: "outbox", host: "a" })
    signals.heard({ box: "outbox", host: "a" })
    assert.deepStrictEqual([deliverA(), forwardA(), deliverB()], [1, 2, 0])
  })

  it("a local write rings its doorbell unless a notification of its box was heard after its statement was sent", () => {
    const signals = Signals.make()
    const a = rings(signals, "inbox", "a")
    const b = rings(signals, "inbox", "b")

    // Nothing heard yet (LISTEN slow or down): the write itself rings.
    signals.wrote({ box: "inbox", host: "a" }, performance.now())
    assert.deepStrictEqual([a(), b()], [1, 0])

    // The echo came first, while the statement was out: the round it started sees the write; no second ring.
    const sentAt = performance.now()
    signals.heard({ box: "inbox", host: "a" })
    signals.wrote({ box: "inbox", host: "a" }, sentAt)
    assert.deepStrictEqual([a(), b()], [2, 0])

    // Heard before this statement was sent (another write's echo): this write still rings. Another box's echo says
    // nothing about this one.
    signals.heard({ box: "inbox", host: "b" })
    const later = performance.now() + 1
    signals.wrote({ box: "inbox", host: "a" }, later)
    signals.wrote({ box: "inbox", host: "b" }, later)
    assert.deepStrictEqual([a(), b()], [3, 2])
  })

  it("ringAll rings every doorbell made so far", () => {
    const signals = Signals.make()
    const a = rings(signals, "inbox", "a")
    const b = rings(signals, "outbox", "b")
    signals.ringAll()
    assert.deepStrictEqual([a(), b()], [1, 1])
  })
})
