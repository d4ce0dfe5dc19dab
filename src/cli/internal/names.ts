/** Suggestions for mistyped names: the nearest candidates, and how to say them. */

/** A name as compared: lower case, without spaces or hyphens. */
const normalize = (input: string): string => input.toLowerCase().replace(/[\s-]+/g, "")

/**
 * The candidates nearest to a mistyped name, best first (at most three): those the input starts (`Production`
 * gives ProductionOne and ProductionTwo), else those within a small edit distance (a letter missing, extra,
 * wrong or two swapped: `Germny`, `mvoe`). Empty when nothing is close.
 */
export const suggest = <A extends string>(
  candidates: ReadonlyArray<A>,
  input: string,
  options: { readonly maxEdits?: number } = {}
): ReadonlyArray<A> => {
  const wanted = normalize(input)
  if (wanted.length < 2) return []
  const forms = candidates.map((candidate) => [candidate, normalize(candidate)] as const)
  if (wanted.length >= 3) {
    const started = forms.filter(([, form]) => form.startsWith(wanted)).map(([candidate]) => candidate)
    if (started.length > 0) return started.slice(0, 3)
  }
  const limit = Math.min(
    options.maxEdits ?? Number.POSITIVE_INFINITY,
    wanted.length <= 3 ? 1 : wanted.length <= 7 ? 2 : 3
  )
  const scored = forms
    .map(([candidate, form]) => ({ candidate, distance: editDistance(wanted, form) }))
    .filter(({ distance }) => distance <= limit)
  const best = Math.min(...scored.map(({ distance }) => distance))
  return scored
    .filter(({ distance }) => distance === best)
    .map(({ candidate }) => candidate)
    .slice(0, 3)
}

/** ` (did you mean X or Y?)` for the nearest candidates, or nothing when none is close. */
export const didYouMean = (
  candidates: ReadonlyArray<string>,
  input: string,
  options: { readonly maxEdits?: number } = {}
): string => {
  const near = suggest(candidates, input, options)
  return near.length === 0 ? "" : ` (did you mean ${alternatives(near.map(quoted))}?)`
}

/** `X`, `X or Y`, `X, Y or Z`. */
export const alternatives = (names: ReadonlyArray<string>): string =>
  names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`

/** How a name is typed back on a command line: quoted when it contains a space. */
export const quoted = (name: string): string => (/\s/.test(name) ? `"${name}"` : name)

// internal

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b` (optimal string alignment). */
const editDistance = (a: string, b: string): number => {
  const rows: Array<Array<number>> = []
  for (let i = 0; i <= a.length; i++) {
    const row: Array<number> = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      }
      row.push(best)
    }
    rows.push(row)
  }
  return rows[a.length]![b.length]!
}
