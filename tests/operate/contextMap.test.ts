import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import * as Contracts from "../../hosts/contracts/Contracts.js"
import * as ContextMap from "../../src/operate/ContextMap.js"

// The context map is drawn from the hosts' declarations; the README and ARCHITECTURE.md embed it, and this test keeps
// them equal to what the declarations give (regenerate with `npm run -s mailroom -- map --format markdown`).

const map = ContextMap.make(ImperialApp.definitions)

const embedded = (file: string) => {
  const text = Fs.readFileSync(new URL(`../../${file}`, import.meta.url), "utf8")
  const found = /<!-- context-map[^>]*-->\n([\s\S]*?)\n<!-- \/context-map -->/.exec(text)
  assert.isNotNull(found, `${file} has no <!-- context-map --> block`)
  return found![1]
}

describe("the context map", () => {
  it("has both hosts and every contract message, commands and events told apart", () => {
    assert.deepStrictEqual(
      map.contexts.map((c) => c.name),
      ["rondel", "accounting"]
    )
    const linked = map.links.flatMap((l) => l.types)
    for (const type of Contracts.registry.types) assert.include(linked, type, `${type} is on the map`)
    const kindOf = (type: string) =>
      map.links.filter((l) => l.types.includes(type)).map((l) => [l.from, l.kind, l.to])
    assert.deepStrictEqual(kindOf("ChargeMovement"), [["rondel", "command", "accounting"]])
    assert.deepStrictEqual(kindOf("RondelInvoicePaid"), [["accounting", "event", "rondel"]])
    assert.deepStrictEqual(kindOf("Move"), [["outside", "input", "rondel"]])
    assert.deepStrictEqual(kindOf("ActionDetermined"), [["rondel", "event", "nobody"]])
    // Rondel's own deadline is a timer it schedules for itself, not input from outside.
    assert.deepStrictEqual(kindOf("PaymentDeadline"), [["rondel", "timer", "rondel"]])
    assert.notInclude(map.contexts[0]!.fromOutside, "PaymentDeadline")
    assert.isString(map.contexts[0]!.atomicity)
    const mermaid = ContextMap.mermaid(map)
    assert.include(mermaid, 'rondel == "command: ChargeMovement, VoidCharge" ==> accounting')
    assert.include(mermaid, 'accounting -. "event: RondelInvoicePaid, RondelInvoicePaymentFailed" .-> rondel')
    assert.include(ContextMap.text(map), "atomic: one game")
  })

  it("follows a declaration: a new subscriber turns an unsubscribed event into an arrow", () => {
    const audit = {
      ...ImperialApp.definitions[1],
      name: "audit",
      consumes: ["ActionDetermined"],
      publishes: [],
      sends: []
    }
    const wider = ContextMap.make([...ImperialApp.definitions, audit])
    assert.deepStrictEqual(
      wider.links.filter((l) => l.types.includes("ActionDetermined")).map((l) => [l.from, l.kind, l.to]),
      [["rondel", "event", "audit"]]
    )
  })

  for (const file of ["README.md", "ARCHITECTURE.md"])
    it(`${file} embeds the map the declarations give`, () => {
      assert.strictEqual(embedded(file), ContextMap.markdown(map))
    })
})
