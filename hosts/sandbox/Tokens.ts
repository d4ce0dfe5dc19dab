/** One word of a command line: its text without quotes, and where it sits in the line. */
export interface Token {
  readonly text: string
  readonly start: number
  readonly end: number
  readonly quoted: boolean
}

/** A line split into words; `open` is set when a quote was left unterminated (the last token runs to the end). */
export interface Tokens {
  readonly tokens: ReadonlyArray<Token>
  readonly open: boolean
}

/** Splits a line into words on whitespace; double or single quotes group words ("Great Britain"). */
export const tokenize = (line: string, from = 0): Tokens => {
  const tokens: Array<Token> = []
  let pos = from
  while (true) {
    const next = nextToken(line, pos)
    if (next === undefined) return { tokens, open: false }
    tokens.push(next.token)
    pos = next.token.end
    if (next.open) return { tokens, open: true }
  }
}

/** The word starting at or after `pos`, or undefined at the end of the line. */
export const nextToken = (
  line: string,
  pos: number
): { readonly token: Token; readonly open: boolean } | undefined => {
  let i = pos
  while (i < line.length && /\s/.test(line[i]!)) i++
  if (i >= line.length) return undefined
  const start = i
  let text = ""
  let quoted = false
  while (i < line.length && !/\s/.test(line[i]!)) {
    const c = line[i]!
    if (c === '"' || c === "'") {
      quoted = true
      const close = line.indexOf(c, i + 1)
      if (close < 0) {
        text += line.slice(i + 1)
        return { token: { text, start, end: line.length, quoted }, open: true }
      }
      text += line.slice(i + 1, close)
      i = close + 1
    } else {
      text += c
      i++
    }
  }
  return { token: { text, start, end: i, quoted }, open: false }
}
