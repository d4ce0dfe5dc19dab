import { assert, describe, it } from "@effect/vitest"
import type * as Rondel from "../../hosts/rondel/Rondel.js"
import * as Board from "../../hosts/sandbox/Board.js"
import * as Style from "../../hosts/sandbox/Style.js"

const positions = [
  { nation: "Germany", current: "Factory", pending: { space: "Investor", billingId: "bill-m-7", amount: 4 } },
  { nation: "France", current: null, pending: null },
  { nation: "Italy", current: "Import", pending: null },
  { nation: "Great Britain", current: "Import", pending: null }
] as unknown as ReadonlyArray<Rondel.Position>

const lineOf = (lines: ReadonlyArray<string>, text: string) => lines.findIndex((line) => line.includes(text))

describe("sandbox board", () => {
  it("draws the eight spaces clockwise around the wheel, tokens on their spaces, the rest in the centre", () => {
    const lines = Board.render("game-7", positions, Style.plain).split("\n")
    // Clockwise from the top left: Investor, Import (top), ProductionOne, ManeuverOne (right, downwards),
    // Taxation, Factory (bottom, leftwards), ProductionTwo, ManeuverTwo (left, upwards).
    const top = lineOf(lines, "Investor 1")
    assert.isAbove(lines[top]!.indexOf("Import 2"), lines[top]!.indexOf("Investor 1"))
    const upper = lineOf(lines, "ManeuverTwo 8")
    assert.isAbove(lines[upper]!.indexOf("ProductionOne 3"), lines[upper]!.indexOf("ManeuverTwo 8"))
    const lower = lineOf(lines, "ProductionTwo 7")
    assert.isAbove(lines[lower]!.indexOf("ManeuverOne 4"), lines[lower]!.indexOf("ProductionTwo 7"))
    const bottom = lineOf(lines, "Factory 6")
    assert.isAbove(lines[bottom]!.indexOf("Taxation 5"), lines[bottom]!.indexOf("Factory 6"))
    assert.isTrue(top < upper && upper < lower && lower < bottom)

    assert.include(lines[top + 1], "| >GE 4M") // the pending target, with its amount
    assert.include(lines[top + 1], "| IT GB") // two tokens on Import
    assert.include(lines[bottom + 1], "| GE>") // Germany still on Factory, moving
    assert.isAbove(lineOf(lines, "off the wheel:"), -1)
    assert.include(lines[lineOf(lines, "off the wheel:") + 1], "FR")
    assert.include(lines.join("\n"), "GE Germany: Factory -> Investor, waiting for payment of 4M (bill-m-7)")
    assert.include(lines.join("\n"), "game-7")
  })

  it("is plain text without colours, and colours the tokens when asked", () => {
    const plain = Board.render("g", positions, { color: false, unicode: true })
    const coloured = Board.render("g", positions, { color: true, unicode: true })
    assert.notInclude(plain, "\x1b[")
    assert.include(coloured, "\x1b[1;97mGE\x1b[0m")
    assert.strictEqual(Style.stripAnsi(coloured), plain)
    assert.notMatch(Board.render("g", positions, Style.plain), /[^\x20-\x7e\n]/)
  })

  it("colours only on a terminal, never with NO_COLOR or TERM=dumb", () => {
    assert.isTrue(Style.detect(true, {}).color)
    assert.isFalse(Style.detect(false, {}).color)
    assert.isFalse(Style.detect(true, { NO_COLOR: "1" }).color)
    assert.isTrue(Style.detect(true, { NO_COLOR: "1" }).unicode)
    assert.deepStrictEqual(Style.detect(true, { TERM: "dumb" }), Style.plain)
    assert.isFalse(Style.detect(true, {}, true).color)
  })
})
