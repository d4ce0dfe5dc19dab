import { readFileSync } from "node:fs"
import { posix, resolve } from "node:path"
import { assert, describe, it } from "vitest"

// Each public module has an export path of its own next to its entry point's namespace (as Effect's packages do),
// so TypeScript can name the types of a public signature in a consumer's declarations; nothing else is exported.
const root = resolve(import.meta.dirname, "../..")
const manifest = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
  readonly exports: Record<string, string | { readonly types: string; readonly default: string }>
}
const entries = {
  ".": "index",
  "./pg": "pg/index",
  "./testing": "testing/index",
  "./pg/testing": "pg/testing/index",
  "./console": "console/index"
}

/** The export paths the entry points call for: each entry, and each module an entry re-exports as a namespace. */
const expected = () => {
  const paths: Record<string, string> = { "./package.json": "package.json" }
  for (const [entry, index] of Object.entries(entries)) {
    paths[entry] = `dist/${index}`
    const source = readFileSync(resolve(root, `src/${index}.ts`), "utf8")
    const folder = index.replace(/index$/, "")
    for (const [, namespace, module] of source.matchAll(/export \* as (\w+) from "(\.\.?\/.+)\.js"/g)) {
      paths[entry === "." ? `./${namespace}` : `${entry}/${namespace}`] = posix.join("dist", folder, module!)
    }
  }
  return paths
}

describe("package.json exports", () => {
  it("give every entry point and every public module a path, with its declarations, and nothing more", () => {
    const actual = Object.fromEntries(
      Object.entries(manifest.exports).map(([path, target]) => {
        if (typeof target === "string") return [path, target.replace(/^\.\//, "")]
        assert.strictEqual(target.types, target.default.replace(/\.js$/, ".d.ts"), path)
        return [path, target.default.replace(/^\.\//, "").replace(/\.js$/, "")]
      })
    )
    assert.deepStrictEqual(actual, expected())
  })
})
