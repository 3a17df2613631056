import type { ModelSpec } from './model-sizes.ts';
import { createSeededRandom, deriveSeed } from './seeded-random.ts';

/**
 * Every learned tensor of GPT-2, in the order they are stored, named as in Hugging Face's
 * GPT2LMHeadModel (Conv1D layout: weights are [in, out]). lm_head is tied to wte, so it
 * is not listed: the graph multiplies by wte transposed.
 */
export interface WeightEntry {
  name: string;
  dims: number[];
  /** Values are uniform around `center` with this standard deviation. */
  center: number;
  std: number;
}

const EMBEDDING_STD = 0.02;
const POSITION_STD = 0.01;
const LAYER_NORM_GAIN_STD = 0.1;
const BIAS_STD = 0.02;

export function weightPlan(spec: ModelSpec): WeightEntry[] {
  const e = spec.nEmbd;
  const blockStd = 0.02 * spec.blockScale;
  const plan: WeightEntry[] = [
    { name: 'transformer.wte.weight', dims: [spec.vocabSize, e], center: 0, std: EMBEDDING_STD },
    { name: 'transformer.wpe.weight', dims: [spec.nPositions, e], center: 0, std: POSITION_STD },
  ];
  const layerNorm = (prefix: string): WeightEntry[] => [
    { name: `${prefix}.weight`, dims: [e], center: 1, std: LAYER_NORM_GAIN_STD },
    { name: `${prefix}.bias`, dims: [e], center: 0, std: BIAS_STD },
  ];
  const linear = (prefix: string, inputs: number, outputs: number): WeightEntry[] => [
    { name: `${prefix}.weight`, dims: [inputs, outputs], center: 0, std: blockStd },
    { name: `${prefix}.bias`, dims: [outputs], center: 0, std: BIAS_STD * spec.blockScale },
  ];
  for (let layer = 0; layer < spec.nLayer; layer++) {
    const p = `transformer.h.${layer}`;
    plan.push(
      ...layerNorm(`${p}.ln_1`),
      ...linear(`${p}.attn.c_attn`, e, 3 * e),
      ...linear(`${p}.attn.c_proj`, e, e),
      ...layerNorm(`${p}.ln_2`),
      ...linear(`${p}.mlp.c_fc`, e, 4 * e),
      ...linear(`${p}.mlp.c_proj`, 4 * e, e),
    );
  }
  plan.push(...layerNorm('transformer.ln_f'));
  return plan;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

export function parameterCount(spec: ModelSpec): number {
  return weightPlan(spec).reduce((sum, entry) => sum + elementCount(entry.dims), 0);
}

/** Floats generated per chunk: bounds memory while streaming the 38.6 M-float embedding. */
export const CHUNK_ELEMENTS = 1 << 20;

/**
 * Generates one tensor's values chunk by chunk. Each tensor has its own stream derived
 * from (seed, name), so its bytes do not depend on the order or on the chunk size.
 * The chunk passed to `onChunk` is reused: copy or write it before returning.
 */
export async function generateWeights(
  entry: WeightEntry,
  seed: number,
  onChunk: (chunk: Float32Array) => Promise<void> | void,
  chunkElements = CHUNK_ELEMENTS,
): Promise<void> {
  const random = createSeededRandom(deriveSeed(seed, entry.name));
  // A uniform distribution on [-a, a) has standard deviation a / sqrt(3).
  const halfWidth = entry.std * Math.sqrt(3);
  const total = elementCount(entry.dims);
  const buffer = new Float32Array(Math.min(total, chunkElements));
  for (let done = 0; done < total; done += buffer.length) {
    const chunk = buffer.subarray(0, Math.min(buffer.length, total - done));
    random.fillUniform(chunk, halfWidth);
    if (entry.center !== 0) {
      for (let i = 0; i < chunk.length; i++) {
        chunk[i] = (chunk[i] as number) + entry.center;
      }
    }
    await onChunk(chunk);
  }
}

/** All values of one tensor in memory (for small tensors and tests). */
export async function generateWeightArray(entry: WeightEntry, seed: number): Promise<Float32Array> {
  const out = new Float32Array(elementCount(entry.dims));
  let offset = 0;
  await generateWeights(entry, seed, (chunk) => {
    out.set(chunk, offset);
    offset += chunk.length;
  });
  return out;
}
