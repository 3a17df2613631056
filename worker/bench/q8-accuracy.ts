import { defaultGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadCodec } from '../src/engine/load-codec.ts';
import { loadEngine } from '../src/engine/load-engine.ts';
import { checkModelFolder } from '../src/engine/model-folder.ts';
import type { DecodeDtype } from '../src/model-builder/decode-graph.ts';
import { decodeGraphPath, ensureDecodeGraph } from '../src/model-builder/decode-graph-file.ts';
import { benchPrompts } from './bench-configurations.ts';

/**
 * q8 against fp32 on fixed token sequences, teacher-forced: both decode graphs score every
 * position of the same sequences (one prefill pass each, no cache), and we compare the
 * logits position by position: the share of positions whose top-1 token agrees, and the
 * largest absolute logit difference. Greedy text can drift apart once one token differs,
 * so per-position agreement is the fair measure of the quantization itself.
 */
export interface Q8Accuracy {
  positions: number;
  top1Agreement: number;
  maxLogitError: number;
  /** The same, relative to the largest fp32 logit magnitude seen. */
  maxLogitErrorRelative: number;
}

export async function q8Accuracy(
  modelDir: string,
  sequences: readonly number[][],
): Promise<Q8Accuracy> {
  const folder = await checkModelFolder(modelDir);
  const sessions: Record<DecodeDtype, InferenceSession> = {} as Record<
    DecodeDtype,
    InferenceSession
  >;
  for (const dtype of ['fp32', 'q8'] as const) {
    await ensureDecodeGraph(folder, () => {}, dtype);
    sessions[dtype] = await InferenceSession.create(decodeGraphPath(folder, dtype));
  }
  const headDim = folder.nEmbd / folder.nHead;
  let positions = 0;
  let agree = 0;
  let maxError = 0;
  let maxMagnitude = 0;
  for (const ids of sequences) {
    const width = ids.length;
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, width]),
      position_ids: new Tensor(
        'int64',
        BigInt64Array.from(ids, (_, i) => BigInt(i)),
        [1, width],
      ),
      logits_index: new Tensor(
        'int64',
        BigInt64Array.from(ids, (_, i) => BigInt(i)),
        [width],
      ),
    };
    // One cached column, masked: the graph always reads a cache.
    const bias = new Float32Array(width * (1 + width));
    for (let t = 0; t < width; t++) {
      bias[t * (1 + width)] = -1e9;
      bias.fill(-1e9, t * (1 + width) + 1 + t + 1, (t + 1) * (1 + width));
    }
    feeds.attention_bias = new Tensor('float32', bias, [1, 1, width, 1 + width]);
    for (let layer = 0; layer < folder.nLayer; layer++) {
      feeds[`past_key_values.${layer}.key`] = new Tensor(
        'float32',
        new Float32Array(folder.nHead * headDim),
        [1, folder.nHead, 1, headDim],
      );
      feeds[`past_key_values.${layer}.value`] = new Tensor(
        'float32',
        new Float32Array(folder.nHead * headDim),
        [1, folder.nHead, 1, headDim],
      );
    }
    const [full, quantized] = await Promise.all(
      (['fp32', 'q8'] as const).map(
        async (dtype) =>
          (await sessions[dtype].run(feeds, ['logits'])).logits!.data as Float32Array,
      ),
    );
    const vocab = folder.vocabSize;
    for (let t = 0; t < width; t++) {
      const a = full!.subarray(t * vocab, (t + 1) * vocab);
      const b = quantized!.subarray(t * vocab, (t + 1) * vocab);
      let bestA = 0;
      let bestB = 0;
      for (let v = 0; v < vocab; v++) {
        if (a[v]! > a[bestA]!) {
          bestA = v;
        }
        if (b[v]! > b[bestB]!) {
          bestB = v;
        }
        maxError = Math.max(maxError, Math.abs(a[v]! - b[v]!));
        maxMagnitude = Math.max(maxMagnitude, Math.abs(a[v]!));
      }
      positions++;
      agree += bestA === bestB ? 1 : 0;
    }
  }
  await Promise.all(Object.values(sessions).map((session) => session.release()));
  return {
    positions,
    top1Agreement: agree / positions,
    maxLogitError: maxError,
    maxLogitErrorRelative: maxError / maxMagnitude,
  };
}

/** The benchmark's fixed prompt set: 16 prompts and fp32's greedy 48 tokens after each. */
export async function q8AccuracyOnBenchPrompts(modelDir: string): Promise<Q8Accuracy> {
  const prompts = benchPrompts(16);
  const engine = await loadEngine({ modelDir, device: 'cpu', maxBatchSize: 16, ignoreEos: true });
  const params = { ...defaultGenerationParams, temperature: 0, max_new_tokens: 48 };
  const outputs = await engine.generate(prompts.map((prompt) => ({ prompt, params })));
  await engine.dispose();
  const codec = await loadCodec(await checkModelFolder(modelDir));
  return q8Accuracy(
    modelDir,
    prompts.map((prompt, i) => [...codec.encode(prompt), ...codec.encode(outputs[i]!.text)]),
  );
}
