import * as Nation from "../contracts/Nation.js"
import * as Space from "../contracts/Space.js"

/** Two-letter tokens the board draws for each nation (also accepted wherever a nation name is). */
export const abbreviations: Readonly<Record<Nation.Nation, string>> = {
  "Austria-Hungary": "AH",
  Italy: "IT",
  France: "FR",
  "Great Britain": "GB",
  Germany: "GE",
  Russia: "RU"
}

/** The form names are compared in: lower case, without spaces and hyphens ("Great Britain" = "great-britain"). */
export const normalize = (input: string): string => input.toLowerCase().replace(/[\s-]+/g, "")

/** The candidate whose normalized form equals the input's, if any. */
export const match = <A extends string>(candidates: ReadonlyArray<A>, input: string): A | undefined => {
  const wanted = normalize(input)
  return wanted === "" ? undefined : candidates.find((candidate) => normalize(candidate) === wanted)
}

/** A nation by its name in any case, with or without spaces and hyphens, or by its board abbreviation. */
export const nation = (input: string): Nation.Nation | undefined =>
  match(Nation.Nations, input) ??
  Nation.Nations.find((candidate) => abbreviations[candidate].toLowerCase() === input.trim().toLowerCase())

/** A rondel space by its name in any case, with or without spaces and hyphens. */
export const space = (input: string): Space.Space | undefined => match(Space.Spaces, input)

/** Candidates whose normalized form starts with the normalized partial input, in their given order. */
export const completions = <A extends string>(
  candidates: ReadonlyArray<A>,
  partial: string
): ReadonlyArray<A> => {
  const wanted = normalize(partial)
  return candidates.filter((candidate) => normalize(candidate).startsWith(wanted))
}

export { alternatives, didYouMean, quoted, suggest } from "../../src/cli/internal/names.js"
