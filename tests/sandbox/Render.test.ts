import { assert, describe, it } from "@effect/vitest"
import * as Render from "../../hosts/sandbox/Render.js"
import * as Style from "../../hosts/sandbox/Style.js"

describe("sandbox rendering", () => {
  it("fault: says what was armed now, and everything armed only when that adds something", () => {
    const crash = { point: "crash", host: "accounting", remaining: 3 } as const
    const render = (armed: ReadonlyArray<typeof crash | { point: "save"; remaining: number }>, now = true) =>
      Render.result(
        {
          command: "fault",
          armedNow: now ? { fault: "crash-accounting", count: 3 } : null,
          armed
        },
        Style.plain
      )
    assert.strictEqual(render([crash]), "armed crash-accounting x3")
    assert.strictEqual(
      render([crash, crash, { point: "save", remaining: 1 }]),
      "armed crash-accounting x3 (armed in all: crash-accounting x6, save x1)"
    )
    assert.strictEqual(render([crash, crash], false), "armed: crash-accounting x6")
    assert.strictEqual(render([], false), "nothing armed")
  })

  it("timers and clock: due time, in how long or overdue, who and why; what an advance fired", () => {
    const timer = {
      messageId: "m-4.t0",
      dueAt: 60_000,
      dueInMillis: 60_000,
      host: "rondel",
      destination: "rondel",
      type: "PaymentDeadline",
      gameId: "game-1",
      cause: "m-4"
    }
    const timers = Render.result(
      { command: "timers", now: 0, timers: [timer, { ...timer, messageId: "m-5.t0", dueInMillis: -1500 }] },
      Style.plain
    ).split("\n")
    assert.deepStrictEqual(timers.slice(1), [
      "1970-01-01T00:01:00.000Z  1m            rondel  rondel  PaymentDeadline  game-1  m-4.t0   m-4",
      "1970-01-01T00:01:00.000Z  overdue 1.5s  rondel  rondel  PaymentDeadline  game-1  m-5.t0   m-4"
    ])
    assert.strictEqual(
      Render.result({ command: "timers", now: 0, timers: [] }, Style.plain),
      "no message scheduled"
    )
    assert.strictEqual(
      Render.result(
        {
          command: "clock",
          now: 120_000,
          iso: "1970-01-01T00:02:00.000Z",
          adjustable: true,
          aheadMillis: 120_000,
          advancedMillis: 120_000,
          fired: [timer]
        },
        Style.plain
      ),
      "clock advanced 2m to 1970-01-01T00:02:00.000Z (2m ahead of real time)\n  fell due: PaymentDeadline m-4.t0 → rondel [game-1]"
    )
  })
})
