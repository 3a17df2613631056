/**
 * A small counter-based PRNG (SplitMix32 finaliser over a Weyl sequence). Deterministic
 * across platforms: only 32-bit integer ops, so the same seed gives the same bytes
 * everywhere. Not for cryptography; it only has to make weights reproducible and fast.
 */
export interface SeededRandom {
  /** Next 32-bit unsigned integer. */
  nextUint32(): number;
  /** Fills `out` with values uniform in [-halfWidth, halfWidth). */
  fillUniform(out: Float32Array, halfWidth: number): void;
}

const GOLDEN_GAMMA = 0x9e3779b9;

function mix32(value: number): number {
  let z = value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of `text`, mixed with the seed. */
export function deriveSeed(seed: number, text: string): number {
  let hash = 0x811c9dc5 ^ mix32(seed >>> 0);
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(hash >>> 0);
}

export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const nextUint32 = (): number => {
    state = (state + GOLDEN_GAMMA) | 0;
    return mix32(state);
  };
  return {
    nextUint32,
    fillUniform(out, halfWidth) {
      const scale = (2 * halfWidth) / 4294967296;
      for (let i = 0; i < out.length; i++) {
        state = (state + GOLDEN_GAMMA) | 0;
        out[i] = mix32(state) * scale - halfWidth;
      }
    },
  };
}
