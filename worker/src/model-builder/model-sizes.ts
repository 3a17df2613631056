/**
 * The model shapes the builder knows. `small` is exactly GPT-2 small (124,439,808
 * parameters); `tiny` keeps GPT-2's vocabulary and position limit but is narrow and shallow
 * so it builds in well under a second and runs fast in tests.
 */
export interface Gpt2Shape {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nPositions: number;
  vocabSize: number;
}

export interface ModelSpec extends Gpt2Shape {
  /**
   * Multiplies the spread of every block weight (attention and MLP). With GPT-2's 0.02 init
   * and a tied head, a random model echoes its input token forever; stronger blocks pull the
   * residual stream away from the input embedding, so greedy output varies.
   */
  blockScale: number;
  /** Weights go to onnx/model.onnx_data instead of inside model.onnx. */
  externalData: boolean;
}

export const MODEL_SIZE_NAMES = ['tiny', 'small'] as const;
export type ModelSize = (typeof MODEL_SIZE_NAMES)[number];

/** GPT-2's byte-level BPE vocabulary: 50,000 merges + 256 bytes + <|endoftext|>. */
export const GPT2_VOCAB_SIZE = 50257;
export const END_OF_TEXT_ID = 50256;

export const MODEL_SPECS: Record<ModelSize, ModelSpec> = {
  tiny: {
    nLayer: 2,
    nHead: 4,
    nEmbd: 64,
    nPositions: 1024,
    vocabSize: GPT2_VOCAB_SIZE,
    blockScale: 20,
    externalData: false,
  },
  small: {
    nLayer: 12,
    nHead: 12,
    nEmbd: 768,
    nPositions: 1024,
    vocabSize: GPT2_VOCAB_SIZE,
    blockScale: 5,
    externalData: true,
  },
};

export function isModelSize(value: unknown): value is ModelSize {
  return typeof value === 'string' && (MODEL_SIZE_NAMES as readonly string[]).includes(value);
}

export function headDim(shape: Gpt2Shape): number {
  return shape.nEmbd / shape.nHead;
}
