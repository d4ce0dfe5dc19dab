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
})
