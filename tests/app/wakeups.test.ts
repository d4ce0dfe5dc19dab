import { assert, describe, it } from "@effect/vitest"
import * as Wakeups from "../../src/pg/internal/wakeups.js"

describe("relay wake-ups in one process", () => {
  it("a signal wakes the loops of its payload, and nothing else", () => {
    const wakeups = Wakeups.make()
    const woken: Array<string> = []
    wakeups.on("inbox:a", () => woken.push("deliver a"))
    wakeups.on("outbox:a", () => woken.push("move a"))
    wakeups.signal("inbox:a")
    wakeups.signal("outbox:a")
    wakeups.signal("inbox:b")
    assert.deepStrictEqual(woken, ["deliver a", "move a"])
  })
})
