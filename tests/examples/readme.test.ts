import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { assert, describe, it } from "vitest"
import * as ReadmeBlocks from "../support/readmeBlocks.js"

// README code blocks marked `<!-- verbatim: path -->` must equal the file they show (which runs in the suite),
// so the documentation cannot drift from code that is tested. `as "a" -> "b", "c" -> "d"` rewrites the file's
// import paths into what a user writes (`"mailroom"`); the pack test compiles every block against the package.
const root = resolve(import.meta.dirname, "../..")
const blocks = ReadmeBlocks.read(readFileSync(resolve(root, "README.md"), "utf8"))

describe("README", () => {
  it("shows at least the counter example and the testing example verbatim", () => {
    assert.includeMembers(
      blocks.flatMap((block) => (block.verbatim === undefined ? [] : [block.verbatim.path])),
      ["examples/counter/Counter.ts", "tests/examples/testing-your-hosts.test.ts"]
    )
  })

  it("names every TypeScript block's file once, so the pack test can compile them side by side", () => {
    const names = blocks.map((block) => block.file)
    assert.deepStrictEqual(names, [...new Set(names)])
  })

  for (const block of blocks) {
    if (block.verbatim === undefined) continue
    const { path, replace } = block.verbatim
    it(`shows ${path} as it is`, () => {
      let source = readFileSync(resolve(root, path), "utf8")
      for (const [from, to] of replace) source = source.split(from).join(to)
      assert.strictEqual(block.code, source)
    })
  }
})
