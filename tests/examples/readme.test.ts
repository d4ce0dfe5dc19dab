import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { assert, describe, it } from "vitest"

// README code blocks marked `<!-- verbatim: path -->` must equal the file they show (which runs in the suite),
// so the documentation cannot drift from code that is tested.
const root = resolve(import.meta.dirname, "../..")
const readme = readFileSync(resolve(root, "README.md"), "utf8")

describe("README", () => {
  const blocks = [
    ...readme.matchAll(/<!-- verbatim: (\S+?)(?: as (\S+) -> (\S+))? -->\n```ts\n([\s\S]*?)```/g)
  ]

  it("shows at least the counter example and the testing example verbatim", () => {
    const paths = blocks.map((m) => m[1])
    assert.includeMembers(paths, ["examples/counter/Counter.ts", "tests/examples/testing-your-hosts.test.ts"])
  })

  for (const [, path, from, to, shown] of blocks) {
    it(`shows ${path} as it is`, () => {
      let source = readFileSync(resolve(root, path!), "utf8")
      if (from !== undefined && to !== undefined) source = source.split(from).join(to)
      assert.strictEqual(shown, source)
    })
  }
})
