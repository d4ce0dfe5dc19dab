// Fails when the TypeScript sources contain an import cycle, or when an import crosses a layer boundary
// that ARCHITECTURE.md ("Rules", 1) forbids (src never imports hosts, rondel and accounting never import each
// other, only src/pg imports @effect/sql*).
import { readFileSync, readdirSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"

const root = resolve(dirname(new URL(import.meta.url).pathname), "..")
const roots = ["src", "hosts", "examples", "bench"]
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (name === "node_modules" || name === "dist") continue
    if (statSync(path).isDirectory()) walk(path)
    else if (/\.tsx?$/.test(name) && !name.endsWith(".d.ts")) files.push(path)
  }
}
for (const r of roots) {
  try {
    walk(join(root, r))
  } catch {
    // folder not there yet
  }
}

const importRe =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g
const graph = new Map()
const problems = []
for (const file of files) {
  const text = readFileSync(file, "utf8")
  const rel = relative(root, file)
  const deps = []
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2]
    const typeOnly = /^\s*(import|export)\s+type\s/.test(m[0].trimStart())
    if (spec.startsWith(".")) {
      const target = relative(root, resolve(dirname(file), spec.replace(/\.js$/, ".ts")))
      if (!typeOnly) deps.push(target)
      if (rel.startsWith("src/") && target.startsWith("hosts/"))
        problems.push(`${rel}: src must not import hosts (${spec})`)
      if (rel.startsWith("hosts/rondel/") && target.startsWith("hosts/accounting/"))
        problems.push(`${rel}: rondel must not import accounting (${spec})`)
      if (rel.startsWith("hosts/accounting/") && target.startsWith("hosts/rondel/"))
        problems.push(`${rel}: accounting must not import rondel (${spec})`)
      if (rel.startsWith("src/") && !rel.startsWith("src/index") && target === "src/index.ts")
        problems.push(`${rel}: never import src/index.ts from inside src (${spec})`)
    } else if (
      (spec.startsWith("@effect/sql") || spec === "pg") &&
      !rel.startsWith("src/pg/") &&
      !rel.startsWith("bench/") &&
      !rel.startsWith("tests/")
    ) {
      problems.push(`${rel}: only src/pg may import ${spec}`)
    }
  }
  graph.set(rel, deps)
}

// Tarjan's strongly connected components: any component with more than one file is a cycle.
let index = 0
const stack = []
const onStack = new Set()
const indices = new Map()
const low = new Map()
const cycles = []
const strong = (v) => {
  indices.set(v, index)
  low.set(v, index)
  index++
  stack.push(v)
  onStack.add(v)
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue
    if (!indices.has(w)) {
      strong(w)
      low.set(v, Math.min(low.get(v), low.get(w)))
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indices.get(w)))
  }
  if (low.get(v) === indices.get(v)) {
    const component = []
    let w
    do {
      w = stack.pop()
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1) cycles.push(component)
  }
}
for (const v of graph.keys()) if (!indices.has(v)) strong(v)

for (const c of cycles) problems.push(`import cycle: ${c.join(" -> ")}`)
if (problems.length > 0) {
  console.error(problems.join("\n"))
  process.exit(1)
}
console.log(`imports ok: ${files.length} files, no cycles, layer rules hold`)
