/** One ```ts block of the README: the file it becomes in a consumer project, its code, and what it shows verbatim. */
export interface Block {
  /** `<!-- file: name.ts -->` before the block, else the shown file's name, else `readme-<n>.ts`. */
  readonly file: string
  readonly code: string
  readonly verbatim?: {
    readonly path: string
    /** Import paths rewritten: `as "../../src/index.js" -> "mailroom", ...`. */
    readonly replace: ReadonlyArray<readonly [string, string]>
  }
}

/** Every TypeScript code block of a README, in order. */
export const read = (readme: string): ReadonlyArray<Block> => {
  const blocks: Array<Block> = []
  const pattern = /(?:<!-- (verbatim|file): ([^\n]*?) -->\n)?```ts\n([\s\S]*?)```/g
  for (const [, kind, marker, code] of readme.matchAll(pattern)) {
    if (kind === "verbatim") {
      const [path, rewrites] = marker!.split(/ as (.*)/s)
      const replace = (rewrites ?? "")
        .split(/,\s*/)
        .filter((rewrite) => rewrite !== "")
        .map((rewrite) => {
          const [from, to] = rewrite.split(" -> ")
          return [from!, to!] as const
        })
      // Two shown files of one name (examples/counter/Counter.ts, examples/evolving/Counter.ts) sit side by side
      // in the consumer project: the later one is named after its folder too.
      const parts = path!.split("/")
      const name = parts.at(-1)!
      const file = blocks.some((block) => block.file === name) ? `${parts.at(-2)}-${name}` : name
      blocks.push({ file, code: code!, verbatim: { path: path!, replace } })
    } else {
      blocks.push({ file: kind === "file" ? marker! : `readme-${blocks.length + 1}.ts`, code: code! })
    }
  }
  return blocks
}
