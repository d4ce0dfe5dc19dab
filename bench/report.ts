import type { BenchResult } from "./runtime.js"

/** One figure of the benchmark: a measured value, its baseline from the same run, and their ratio. */
export interface Figure extends BenchResult {
  /** Area of the benchmark the figure belongs to (runtime, cluster, durable, relay, flows, scale). */
  readonly section: string
  /** Whether a higher or a lower value is better (latencies and memory: lower). */
  readonly better: "higher" | "lower"
  /** The target from the issue, when the figure has one, and whether this run met it. */
  readonly target?: string
  readonly met?: boolean
  /** What exactly was measured, when the name alone does not say it. */
  readonly note?: string
}

/** Rounds for display: integers above 100, three significant digits below. */
export const round = (value: number): number =>
  !Number.isFinite(value) ? value : Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(3))

/** A figure compared with its baseline (ratio = value / baseline). */
export const vs = (
  section: string,
  bench: string,
  value: number,
  unit: string,
  baseline: { readonly name: string; readonly value: number },
  extra: {
    readonly n?: number
    readonly better?: "higher" | "lower"
    readonly target?: string
    readonly met?: boolean
    readonly note?: string
  } = {}
): Figure => ({
  section,
  bench,
  value: round(value),
  unit,
  baseline: baseline.name,
  baselineValue: round(baseline.value),
  ratio: baseline.value === 0 ? Number.NaN : Math.round((value / baseline.value) * 100) / 100,
  better: extra.better ?? "higher",
  ...(extra.n === undefined ? {} : { n: extra.n }),
  ...(extra.target === undefined ? {} : { target: extra.target }),
  ...(extra.met === undefined ? {} : { met: extra.met }),
  ...(extra.note === undefined ? {} : { note: extra.note })
})

/** A figure that is itself a baseline (no ratio). */
export const base = (
  section: string,
  bench: string,
  value: number,
  unit: string,
  extra: { readonly n?: number; readonly better?: "higher" | "lower"; readonly note?: string } = {}
): Figure => ({
  section,
  bench,
  value: round(value),
  unit,
  better: extra.better ?? "higher",
  ...(extra.n === undefined ? {} : { n: extra.n }),
  ...(extra.note === undefined ? {} : { note: extra.note })
})

/** The value at quantile q (nearest rank) of unsorted samples. */
export const percentile = (samples: ReadonlyArray<number>, q: number): number => {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** The figures as a fixed-width text table (Markdown-compatible). */
export const table = (figures: ReadonlyArray<Figure>): string => {
  const rows = figures.map((f) => [
    f.bench,
    `${fmt(f.value)} ${f.unit}`,
    f.baseline === undefined ? "—" : `${f.baseline} = ${fmt(f.baselineValue!)}`,
    f.ratio === undefined ? "—" : `${f.ratio}×`,
    f.target === undefined ? "" : `${f.target} ${f.met ? "✔ met" : "✘ missed"}`
  ])
  const header = ["figure", "value", "baseline (same run)", "ratio", "target"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`
  return [
    line(header),
    `|${widths.map((w, i) => (i === 1 || i === 3 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`,
    ...rows.map(line)
  ].join("\n")
}

// internal

const fmt = (value: number): string =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { maximumFractionDigits: 3 }) : String(value)
