import { assert, describe, it } from "@effect/vitest"
import * as Completion from "../../hosts/sandbox/Completion.js"

const context: Completion.CompletionContext = {
  hosts: ["rondel", "accounting"],
  games: ["game-1", "game-2"],
  parkedIds: ["accounting/1"],
  consumes: (host) => (host === "rondel" ? ["SetToStartingPositions", "Move"] : ["OpenAccounts", "Deposit"])
}
const complete = (line: string) => Completion.complete(line, context)

describe("sandbox tab completion", () => {
  it("completes command names", () => {
    assert.deepStrictEqual(complete("po"), [["positions "], "po"])
    assert.deepStrictEqual(complete("")[0].length, 25)
    assert.deepStrictEqual(complete("rec"), [["reconcile "], "rec"])
    assert.deepStrictEqual(complete("rep"), [["replay "], "rep"])
    assert.deepStrictEqual(complete("help se"), [["send ", "settle "], "se"])
  })

  it("completes nations and spaces ignoring case, spaces and hyphens; names with a space come quoted", () => {
    assert.deepStrictEqual(complete("move gre"), [['"Great Britain" '], "gre"])
    assert.deepStrictEqual(complete('move "Great B'), [['"Great Britain" '], '"Great B'])
    assert.deepStrictEqual(complete("move austria-h"), [["Austria-Hungary "], "austria-h"])
    assert.deepStrictEqual(complete("move Germany prod"), [["ProductionOne ", "ProductionTwo "], "prod"])
    assert.deepStrictEqual(complete('move "Great Britain" Fac'), [["Factory "], "Fac"])
    assert.deepStrictEqual(complete("deposit it"), [["Italy "], "it"])
  })

  it("offers the nations not yet named for new-game, and its options", () => {
    assert.deepStrictEqual(complete("new-game Germany Italy France R")[0], ["Russia "])
    assert.notInclude(complete("new-game Germany ")[0], "Germany ")
    assert.deepStrictEqual(complete("new-game --b"), [["--balance "], "--b"])
    assert.deepStrictEqual(complete("new-game --balance "), [[], ""])
    assert.deepStrictEqual(complete("reconcile --o"), [["--older-than "], "--o"])
    assert.deepStrictEqual(complete("outbox --"), [["--limit "], "--"])
  })

  it("completes hosts, the message types a host accepts, games, faults and parked ids", () => {
    assert.deepStrictEqual(complete("send a"), [["accounting "], "a"])
    assert.deepStrictEqual(complete("send rondel "), [["SetToStartingPositions ", "Move "], ""])
    assert.deepStrictEqual(complete("send accounting de"), [["Deposit "], "de"])
    assert.deepStrictEqual(complete("use game"), [["game-1 ", "game-2 "], "game"])
    assert.deepStrictEqual(complete("fault crash"), [["crash-rondel ", "crash-accounting "], "crash"])
    assert.deepStrictEqual(complete("fault rel"), [["relay "], "rel"])
    assert.deepStrictEqual(complete("redrive "), [["accounting/1 "], ""])
  })

  it("offers nothing where nothing fits", () => {
    assert.deepStrictEqual(complete("teleport "), [[], ""])
    assert.deepStrictEqual(complete("move Germany Investor "), [[], ""])
    assert.deepStrictEqual(complete("move xyz"), [[], "xyz"])
  })
})
