import { randomInt } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { mersenne } from 'pure-rand/generator/mersenne';

/** Seeds run 0..2^32-1 (generationLimits.maxSeed); a random one is drawn from that range. */
const SEED_RANGE = 2 ** 32;

/**
 * A row's own random stream for sampling: uniform numbers in [0, 1). Each row owns one, so
 * the same seed and input give the same text whether the row ran alone or in a batch.
 * A null seed draws one from the OS.
 */
export function createRowRandom(seed: number | null): () => number {
  // Mersenne Twister scrambles its seed: xoroshiro128plus seeded from a small integer
  // starts with near-constant draws (0.99999… for seeds 0..42), which would bias the first
  // sampled token. Seeds are 0..2^32-1; the generator takes them as int32.
  const chosen = seed ?? randomInt(SEED_RANGE);
  const generator = mersenne(chosen | 0);
  return () => uniformFloat64(generator);
}
