/** Seeded randomness (mulberry32, shared with the sample-data generator): the same seed gives the same test every run. */
import { createRng, type Rng } from '../../src/demo/synthetic.js';

export type { Rng };
export const seededRng = createRng;

/** A whole number in [lo, hi]. */
export function randomInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}
