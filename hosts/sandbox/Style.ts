import type * as Nation from "../contracts/Nation.js"

/** How text is drawn: ANSI colours or not, box-drawing characters or plain ASCII. */
export interface Style {
  readonly color: boolean
  readonly unicode: boolean
}

/** Plain text: no colours, ASCII only (pipes, files, NO_COLOR on a dumb terminal). */
export const plain: Style = { color: false, unicode: false }

/** Colours on a terminal unless NO_COLOR is set (https://no-color.org) or TERM is dumb; ASCII when not a terminal. */
export const detect = (
  isTTY: boolean,
  env: Readonly<Record<string, string | undefined>>,
  noColor = false
): Style => {
  const dumb = env["TERM"] === "dumb"
  return {
    color: isTTY && !dumb && !noColor && (env["NO_COLOR"] ?? "") === "",
    unicode: isTTY && !dumb
  }
}

/** Wraps text in an SGR code when colours are on. */
export const paint = (style: Style, code: string, text: string): string =>
  style.color && text !== "" ? `\x1b[${code}m${text}\x1b[0m` : text

/** Common paints. */
export const bold = (style: Style, text: string) => paint(style, "1", text)
export const dim = (style: Style, text: string) => paint(style, "2", text)
export const red = (style: Style, text: string) => paint(style, "31", text)
export const green = (style: Style, text: string) => paint(style, "32", text)
export const yellow = (style: Style, text: string) => paint(style, "33", text)
export const cyan = (style: Style, text: string) => paint(style, "36", text)

/** Each nation's colour on the board, after the game's pieces (Germany is black: drawn bold bright white). */
export const nationCode: Readonly<Record<Nation.Nation, string>> = {
  "Austria-Hungary": "1;33",
  Italy: "1;32",
  France: "1;34",
  "Great Britain": "1;31",
  Germany: "1;97",
  Russia: "1;35"
}

/** The width text takes on screen (colour codes take none). */
export const visibleLength = (text: string): number => stripAnsi(text).length

/** Text without ANSI colour codes. */
export const stripAnsi = (text: string): string => text.replace(ansi, "")

/** Pads text with spaces to a visible width (never cuts). */
export const padEnd = (text: string, width: number): string =>
  text + " ".repeat(Math.max(0, width - visibleLength(text)))

// internal

// Built from the escape's code point: a literal control character in a regex literal trips the linter.
const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g")
