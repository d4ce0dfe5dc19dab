import { Schema } from "effect"

/** The eight rondel spaces in clockwise order; a space's index is its position on the wheel. */
export const Spaces = [
  "Investor",
  "Import",
  "ProductionOne",
  "ManeuverOne",
  "Taxation",
  "Factory",
  "ProductionTwo",
  "ManeuverTwo"
] as const

/** A space on the rondel wheel. */
export const Space = Schema.Literal(...Spaces).annotations({
  identifier: "Space",
  message: (issue) => ({
    message: `must be one of ${Spaces.join(", ")}; got ${JSON.stringify(issue.actual)}`,
    override: true
  })
})
/** A space on the rondel wheel. */
export type Space = typeof Space.Type

/** The six actions a rondel space determines. */
export const Actions = ["Investor", "Import", "Production", "Maneuver", "Taxation", "Factory"] as const

/** The action a nation takes when it lands on a space. */
export const Action = Schema.Literal(...Actions).annotations({ identifier: "Action" })
/** The action a nation takes when it lands on a space. */
export type Action = typeof Action.Type

/** The clockwise index (0–7) of a space on the wheel. */
export const spaceIndex = (space: Space): number => Spaces.indexOf(space)

/** The action a space determines: both Production spaces give Production, both Maneuver spaces give Maneuver. */
export const actionOf = (space: Space): Action => {
  switch (space) {
    case "ProductionOne":
    case "ProductionTwo":
      return "Production"
    case "ManeuverOne":
    case "ManeuverTwo":
      return "Maneuver"
    default:
      return space
  }
}

/** Clockwise steps (0–7) from one space to another. */
export const clockwiseSteps = (from: Space, to: Space): number =>
  (spaceIndex(to) - spaceIndex(from) + Spaces.length) % Spaces.length
