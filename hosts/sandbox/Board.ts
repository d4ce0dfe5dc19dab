import * as Space from "../contracts/Space.js"
import type * as Rondel from "../rondel/Rondel.js"
import * as Names from "./Names.js"
import * as Style from "./Style.js"

/** Draws a game's rondel: the eight spaces around the wheel, tokens on their spaces, the rest in the centre. */
export const render = (
  gameId: string,
  positions: ReadonlyArray<Rondel.Position>,
  style: Style.Style
): string => {
  const cell = (space: Space.Space): ReadonlyArray<string> => cellLines(space, positions, style)
  const [investor, imports, productionOne, maneuverOne, taxation, factory, productionTwo, maneuverTwo] =
    Space.Spaces.map(cell) as unknown as ReadonlyArray<ReadonlyArray<string>>
  const box = (title: Space.Space, lines: ReadonlyArray<string>, height: number) =>
    drawBox(title, lines, height, style)
  const blank = " ".repeat(WIDTH)
  const heightOf = (...cells: ReadonlyArray<ReadonlyArray<string>>) =>
    Math.max(1, ...cells.map((c) => c.length))

  const out: Array<string> = []
  // Top row, left to right: Investor, Import (clockwise starts top left).
  const top = heightOf(investor!, imports!)
  for (const [a, b] of zip(box("Investor", investor!, top), box("Import", imports!, top)))
    out.push(blank + a + b)

  // Middle band: ManeuverTwo over ProductionTwo on the left, ProductionOne over ManeuverOne on the right.
  const upper = heightOf(maneuverTwo!, productionOne!)
  const lower = heightOf(productionTwo!, maneuverOne!)
  const left = [...box("ManeuverTwo", maneuverTwo!, upper), ...box("ProductionTwo", productionTwo!, lower)]
  const right = [...box("ProductionOne", productionOne!, upper), ...box("ManeuverOne", maneuverOne!, lower)]
  const centre = centreLines(gameId, positions, style, left.length)
  left.forEach((l, i) => {
    out.push(l + centre[i]! + right[i]!)
  })

  // Bottom row, left to right: Factory, Taxation (clockwise runs right to left here).
  const bottom = heightOf(factory!, taxation!)
  for (const [a, b] of zip(box("Factory", factory!, bottom), box("Taxation", taxation!, bottom)))
    out.push(blank + a + b)

  out.push("")
  out.push(legend(positions, style))
  for (const p of positions) {
    if (p.pending !== null) {
      out.push(
        `${token(p.nation, style)} ${p.nation}: ${p.current ?? "off the wheel"} ${style.unicode ? "→" : "->"} ${
          p.pending.space
        }, waiting for payment of ${p.pending.amount}M (${p.pending.billingId})`
      )
    }
  }
  return out.map((line) => line.replace(/\s+$/, "")).join("\n")
}

// internal

const WIDTH = 20
const INNER = WIDTH - 4

const token = (nation: Rondel.Position["nation"], style: Style.Style): string =>
  Style.paint(style, Style.nationCode[nation], Names.abbreviations[nation])

const cellLines = (
  space: Space.Space,
  positions: ReadonlyArray<Rondel.Position>,
  style: Style.Style
): ReadonlyArray<string> => {
  const arrow = style.unicode ? "→" : ">"
  const here = positions
    .filter((p) => p.current === space)
    .map((p) => token(p.nation, style) + (p.pending === null ? "" : Style.dim(style, arrow)))
  const arriving = positions
    .filter((p) => p.pending?.space === space)
    .map(
      (p) => Style.dim(style, arrow) + token(p.nation, style) + Style.yellow(style, ` ${p.pending!.amount}M`)
    )
  return [...wrap(here), ...arriving]
}

/** Packs tokens into lines that fit a cell. */
const wrap = (tokens: ReadonlyArray<string>, width = INNER): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const t of tokens) {
    const next = line === "" ? t : `${line} ${t}`
    if (Style.visibleLength(next) > width && line !== "") {
      lines.push(line)
      line = t
    } else line = next
  }
  if (line !== "") lines.push(line)
  return lines
}

const drawBox = (
  title: Space.Space,
  lines: ReadonlyArray<string>,
  height: number,
  style: Style.Style
): ReadonlyArray<string> => {
  const [tl, tr, bl, br, h, v] = style.unicode
    ? ["┌", "┐", "└", "┘", "─", "│"]
    : ["+", "+", "+", "+", "-", "|"]
  const number = String(Space.spaceIndex(title) + 1)
  const heading = `${h} ${Style.bold(style, title)} ${Style.dim(style, number)} `
  const top = tl + heading + h.repeat(Math.max(0, WIDTH - 2 - Style.visibleLength(heading))) + tr
  const body = Array.from({ length: height }, (_, i) => `${v} ${Style.padEnd(lines[i] ?? "", INNER)} ${v}`)
  return [top, ...body, bl + h.repeat(WIDTH - 2) + br]
}

const centreLines = (
  gameId: string,
  positions: ReadonlyArray<Rondel.Position>,
  style: Style.Style,
  height: number
): ReadonlyArray<string> => {
  const off = positions.filter((p) => p.current === null)
  const text = [
    Style.bold(style, gameId),
    style.unicode ? "↻ clockwise" : "clockwise",
    "",
    off.length === 0 ? Style.dim(style, "all on the wheel") : "off the wheel:",
    ...wrap(
      off.map((p) => token(p.nation, style)),
      WIDTH * 2 - 4
    )
  ]
  const width = WIDTH * 2
  const start = Math.max(0, Math.floor((height - text.length) / 2))
  return Array.from({ length: height }, (_, i) => {
    const line = text[i - start] ?? ""
    const pad = Math.max(0, Math.floor((width - Style.visibleLength(line)) / 2))
    return Style.padEnd(" ".repeat(pad) + line, width)
  })
}

const legend = (positions: ReadonlyArray<Rondel.Position>, style: Style.Style): string =>
  positions.map((p) => `${token(p.nation, style)} ${p.nation}`).join("  ")

const zip = <A, B>(as: ReadonlyArray<A>, bs: ReadonlyArray<B>): ReadonlyArray<readonly [A, B]> =>
  as.map((a, i) => [a, bs[i]!] as const)
