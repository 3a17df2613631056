import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encode } from 'gpt-3-encoder';
import type { InferenceSession } from 'onnxruntime-node';
import { buildModelFolder, writeModelFolder } from '../model-builder/build-model.ts';
import { MODEL_SPECS } from '../model-builder/model-sizes.ts';
import { referenceLogits } from './gpt2-reference-forward.ts';
import { argmax, decodeStep, loadSession, logitsAt, prefill } from './onnx-gpt2-runner.ts';
import { readModelWeights, type StoredModel } from './read-model-weights.ts';

/**
 * The ONNX graph must compute GPT-2: agree with a plain float64 forward pass. The tiny
 * model's logits are small (std ~0.2), so the usual 1e-4 would let a 0.6% error in GELU's
 * cubic coefficient pass (it moves logits by ~3e-5); fp32 rounding gives ~1e-6 here.
 */
const TOLERANCE = 1e-5;

let work: string;
let modelDir: string;
let model: StoredModel;
let session: InferenceSession;

const prompts = [
  encode('The quick brown fox jumps over the lazy dog, again and again.'),
  encode('Hello, world'),
  encode('x'),
  // Arbitrary ids, including the highest ones and <|endoftext|>.
  [50256, 0, 50255, 1212, 318, 257],
];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'warmgen-reference-'));
  modelDir = join(work, 'tiny');
  await buildModelFolder({ size: 'tiny', outDir: modelDir, seed: 11 });
  model = await readModelWeights(modelDir);
  session = await loadSession(join(modelDir, 'onnx', 'model.onnx'));
});
after(async () => {
  await session?.release();
  await rm(work, { recursive: true, force: true });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return max;
}

test('the prompts really are of different lengths (so padding is exercised)', () => {
  assert.ok(new Set(prompts.map((p) => p.length)).size >= 3);
});

test('batched, left-padded prefill matches the reference at every real position', async () => {
  const { vocabSize } = model.shape;
  const { result } = await prefill(session, model.shape, prompts);
  const width = result.sequenceLength;
  for (const [row, prompt] of prompts.entries()) {
    const expected = referenceLogits(model, prompt);
    const padding = width - prompt.length;
    for (let t = 0; t < prompt.length; t++) {
      const actual = logitsAt(result, vocabSize, row, padding + t);
      const diff = maxAbsDiff(actual, expected[t] as Float64Array);
      assert.ok(diff < TOLERANCE, `row ${row} position ${t}: max |diff| ${diff}`);
    }
  }
});

test('decoding through the KV cache matches full recomputation step by step', async () => {
  const { vocabSize, nHead, nLayer } = model.shape;
  let { state, result } = await prefill(session, model.shape, prompts);
  for (let step = 0; step < 5; step++) {
    const last = result.sequenceLength - 1;
    const next = prompts.map((_, row) => argmax(logitsAt(result, vocabSize, row, last)));
    ({ state, result } = await decodeStep(session, model.shape, state, next));
    assert.equal(result.sequenceLength, 1);
    const total = state.mask[0]!.length;
    for (let i = 0; i < nLayer; i++) {
      const present = state.past[`past_key_values.${i}.key`]!;
      assert.deepEqual(present.dims, [prompts.length, nHead, total, model.shape.nEmbd / nHead]);
    }
    for (const [row, tokens] of state.rows.entries()) {
      const [expected] = referenceLogits(model, tokens, { lastOnly: true });
      const actual = logitsAt(result, vocabSize, row, 0);
      const diff = maxAbsDiff(actual, expected as Float64Array);
      assert.ok(diff < TOLERANCE, `step ${step} row ${row}: max |diff| ${diff}`);
      assert.equal(
        argmax(actual),
        argmax(expected as Float64Array),
        `greedy token differs at step ${step}`,
      );
    }
  }
});

test('weights streamed to an external data file read back and compute the same logits', async () => {
  const externalDir = join(work, 'tiny-external');
  await writeModelFolder(
    { ...MODEL_SPECS.tiny, externalData: true },
    { outDir: externalDir, seed: 11, size: 'tiny' },
  );
  const external = await readModelWeights(externalDir);
  assert.deepEqual([...external.weights.keys()], [...model.weights.keys()]);
  for (const [name, tensor] of model.weights) {
    assert.deepEqual(external.weights.get(name)!.dims, tensor.dims);
    assert.ok(
      Buffer.from(external.weights.get(name)!.data.buffer).equals(Buffer.from(tensor.data.buffer)),
      `${name} differs between inline and external storage`,
    );
  }
  const externalSession = await loadSession(join(externalDir, 'onnx', 'model.onnx'));
  try {
    const [inline, streamed] = await Promise.all([
      prefill(session, model.shape, prompts),
      prefill(externalSession, model.shape, prompts),
    ]);
    assert.equal(maxAbsDiff(inline.result.logits, streamed.result.logits), 0);
  } finally {
    await externalSession.release();
  }
});
