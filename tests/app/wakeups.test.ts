import { assert, describe, it } from "@effect/vitest"
import * as Wakeups from "../../src/pg/internal/wakeups.js"

describe("relay wake-ups in one process", () => {
  it("a NOTIFY heard wakes the loops of its payload, and nothing else", () => {
    const wakeups = Wakeups.make()
    const woken: Array<string> = []
    wakeups.on("inbox:a", () => woken.push("deliver a"))
    wakeups.on("outbox:a", () => woken.push("move a"))
    wakeups.heard("inbox:a")
    wakeups.heard("outbox:a")
    wakeups.heard("inbox:b")
    assert.deepStrictEqual(woken, ["deliver a", "move a"])
  })

  it("a local commit wakes its loops unless a NOTIFY of its payload was heard after its statement was sent", () => {
    const wakeups = Wakeups.make()
    const woken: Array<string> = []
    wakeups.on("inbox:a", () => woken.push("a"))
    wakeups.on("inbox:b", () => woken.push("b"))

    // Nothing heard yet (LISTEN slow or down): the commit itself wakes the loop.
    wakeups.committed("inbox:a", performance.now())
    assert.deepStrictEqual(woken, ["a"])

    // The echo came first, while the statement was out: the round it started sees the commit; no second round.
    const sentAt = performance.now()
    wakeups.heard("inbox:a")
    wakeups.committed("inbox:a", sentAt)
    assert.deepStrictEqual(woken, ["a", "a"])

    // Heard before this statement was sent (another commit's echo): this commit still wakes the loop. Another
    // payload's echo says nothing about this one.
    wakeups.heard("inbox:b")
    const later = performance.now() + 1
    wakeups.committed("inbox:a", later)
    wakeups.committed("inbox:b", later)
    assert.deepStrictEqual(woken, ["a", "a", "b", "a", "b"])
  })
})
