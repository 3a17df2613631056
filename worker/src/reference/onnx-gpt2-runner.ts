import * as ort from 'onnxruntime-node';
import type { Gpt2Shape } from '../model-builder/model-sizes.ts';
import { headDim } from '../model-builder/model-sizes.ts';

/**
 * Drives the built ONNX graph directly with onnxruntime-node, the way transformers.js
 * does: left padding, position_ids = cumsum(mask) - 1 (padding at 1), an empty cache of
 * past length 0 for the first step, presents fed back as past_key_values.
 */
export const PAD_ID = 50256;

export interface BatchState {
  /** Real (unpadded) tokens of each row so far. */
  rows: number[][];
  /** attention_mask of the whole sequence so far, one array per row. */
  mask: number[][];
  past: Record<string, ort.Tensor>;
}

export interface StepResult {
  /** [batch, sequence, vocab] flattened. */
  logits: Float32Array;
  sequenceLength: number;
  presents: Record<string, ort.Tensor>;
}

export async function loadSession(modelPath: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
}

function int64Tensor(rows: number[][]): ort.Tensor {
  const width = rows[0]?.length ?? 0;
  const data = BigInt64Array.from(rows.flat(), (value) => BigInt(value));
  return new ort.Tensor('int64', data, [rows.length, width]);
}

function emptyPast(shape: Gpt2Shape, batch: number): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < shape.nLayer; i++) {
    for (const kind of ['key', 'value']) {
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
        batch,
        shape.nHead,
        0,
        headDim(shape),
      ]);
    }
  }
  return past;
}

async function run(
  session: ort.InferenceSession,
  shape: Gpt2Shape,
  inputIds: number[][],
  mask: number[][],
  past: Record<string, ort.Tensor>,
): Promise<StepResult> {
  const sequenceLength = inputIds[0]?.length ?? 0;
  const positions = mask.map((row) => {
    let seen = 0;
    const all = row.map((m) => (m === 1 ? seen++ : 1));
    return all.slice(all.length - sequenceLength);
  });
  const outputs = await session.run({
    input_ids: int64Tensor(inputIds),
    attention_mask: int64Tensor(mask),
    position_ids: int64Tensor(positions),
    ...past,
  });
  const presents: Record<string, ort.Tensor> = {};
  for (let i = 0; i < shape.nLayer; i++) {
    for (const kind of ['key', 'value']) {
      presents[`past_key_values.${i}.${kind}`] = outputs[`present.${i}.${kind}`] as ort.Tensor;
    }
  }
  return { logits: (outputs.logits as ort.Tensor).data as Float32Array, sequenceLength, presents };
}

/** First step: the prompts left-padded to one length, with an empty cache. */
export async function prefill(
  session: ort.InferenceSession,
  shape: Gpt2Shape,
  prompts: number[][],
): Promise<{ state: BatchState; result: StepResult }> {
  const width = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.map((p) => [...new Array<number>(width - p.length).fill(PAD_ID), ...p]);
  const mask = prompts.map((p) => [
    ...new Array<number>(width - p.length).fill(0),
    ...p.map(() => 1),
  ]);
  const result = await run(session, shape, ids, mask, emptyPast(shape, prompts.length));
  return { state: { rows: prompts.map((p) => [...p]), mask, past: result.presents }, result };
}

/** One decode step: one new token per row, the cache from the previous step. */
export async function decodeStep(
  session: ort.InferenceSession,
  shape: Gpt2Shape,
  state: BatchState,
  nextTokens: number[],
): Promise<{ state: BatchState; result: StepResult }> {
  const mask = state.mask.map((row) => [...row, 1]);
  const result = await run(
    session,
    shape,
    nextTokens.map((t) => [t]),
    mask,
    state.past,
  );
  const rows = state.rows.map((row, i) => [...row, nextTokens[i] as number]);
  return { state: { rows, mask, past: result.presents }, result };
}

/** Logits of row `row` at sequence index `index` of a step's output. */
export function logitsAt(
  result: StepResult,
  vocabSize: number,
  row: number,
  index: number,
): Float32Array {
  const start = (row * result.sequenceLength + index) * vocabSize;
  return result.logits.subarray(start, start + vocabSize);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) > (values[best] as number)) {
      best = i;
    }
  }
  return best;
}
