import { PCGRandom } from "effect/Utils"

/** A seeded source of choices: the only randomness a simulation (and its workload) may use. */
export interface Rng {
  /** A whole number in [min, maxExclusive). */
  readonly int: (min: number, maxExclusive: number) => number
  /** One of the items, uniformly. */
  readonly pick: <A>(items: ReadonlyArray<A>) => A
  /** True with probability `p`. */
  readonly chance: (p: number) => boolean
  /** A uniform number in [0, 1). */
  readonly next: () => number
}

/** A PCG generator (the one behind Effect's `Random.make`) for one seed and one stream. */
export const make = (seed: number, stream: number): Rng => {
  const pcg = new PCGRandom(Math.floor(seed / 2 ** 32) >>> 0, seed >>> 0, 0, (stream * 2 + 1) >>> 0)
  const next = () => pcg.number()
  const int = (min: number, maxExclusive: number) =>
    maxExclusive <= min ? min : min + pcg.integer(maxExclusive - min)
  return {
    int,
    next,
    pick: (items) => {
      if (items.length === 0) throw new Error("pick from an empty list")
      return items[int(0, items.length)]!
    },
    chance: (p) => p > 0 && next() < p
  }
}
