import * as Contracts from "../contracts/Contracts.js"
import * as Nation from "../contracts/Nation.js"
import * as Space from "../contracts/Space.js"
import * as Commands from "./Commands.js"
import * as Names from "./Names.js"
import * as Tokens from "./Tokens.js"

/** What completion can offer besides the fixed names: the running application's hosts, games and parked ids. */
export interface CompletionContext {
  readonly hosts: ReadonlyArray<string>
  readonly games: ReadonlyArray<string>
  readonly parkedIds: ReadonlyArray<string>
  /** Message types a host accepts. */
  readonly consumes: (host: string) => ReadonlyArray<string>
}

/**
 * Tab completion in the shape Node's readline wants: the candidates, and the text before the cursor they
 * replace. Names match ignoring case, spaces and hyphens; names with a space come back quoted.
 */
export const complete = (line: string, context: CompletionContext): [Array<string>, string] => {
  const { tokens, open } = Tokens.tokenize(line)
  const atNewWord = !open && (line.length === 0 || /\s$/.test(line))
  const done = atNewWord ? tokens : tokens.slice(0, -1)
  const current = atNewWord ? undefined : tokens[tokens.length - 1]
  const replaced = current === undefined ? "" : line.slice(current.start)
  const partial = current?.text ?? ""
  const offer = (candidates: ReadonlyArray<string>): [Array<string>, string] => [
    Names.completions(candidates, partial).map((c) => `${Names.quoted(c)} `),
    replaced
  ]

  if (done.length === 0) return offer(Commands.specs.map((s) => s.name))
  const spec = Commands.specOf(done[0]!.text)
  if (spec === undefined) return [[], replaced]
  if (partial.startsWith("--") && current?.quoted !== true) return offer(spec.options)

  const args: Array<string> = []
  for (let i = 1; i < done.length; i++) {
    const token = done[i]!
    if (!token.quoted && token.text.startsWith("--")) {
      if (!token.text.includes("=")) i++
      continue
    }
    args.push(token.text)
  }
  const previous = done[done.length - 1]
  if (previous !== undefined && spec.options.includes(previous.text.toLowerCase())) return [[], replaced]

  const kind = spec.args[args.length] ?? (spec.repeats === true ? spec.args[spec.args.length - 1] : undefined)
  switch (kind) {
    case "nation":
      return offer(Nation.Nations.filter((n) => !args.some((a) => Names.nation(a) === n)))
    case "space":
      return offer(Space.Spaces)
    case "host":
      return offer(context.hosts)
    case "messageType": {
      const host = context.hosts.find((h) => h === args[0]?.toLowerCase())
      return offer(host === undefined ? Contracts.registry.types : context.consumes(host))
    }
    case "gameId":
      return offer(context.games)
    case "fault":
      return offer(Commands.faultKinds(context.hosts))
    case "command":
      return offer(Commands.specs.map((s) => s.name))
    case "parkedId":
      return offer(context.parkedIds)
    default:
      return [[], replaced]
  }
}
