import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AutoModelForCausalLM, AutoTokenizer, type Tensor } from '@huggingface/transformers';
import {
  defaultGenerationParams,
  type GenerationParams,
} from '@warmgen/shared/domain/generation-params.ts';
import { ensureModel } from '../model-builder/ensure-model.ts';
import type { GenerationEngine, GenerationRequest } from './generation-engine.ts';
import { GenerationRequestError } from './generation-request-error.ts';
import { loadEngine } from './load-engine.ts';

/** The engine on the real tiny GPT-2 (real tokenizer, seeded random weights). */
const greedy = (overrides: Partial<GenerationParams> = {}): GenerationParams => ({
  ...defaultGenerationParams,
  temperature: 0,
  max_new_tokens: 16,
  ...overrides,
});

const mixed: GenerationRequest[] = [
  { prompt: 'Hello', params: greedy({ max_new_tokens: 12 }) },
  {
    prompt: 'The quick brown fox jumps over the lazy dog, and then it runs into the woods.',
    params: greedy({ max_new_tokens: 20 }),
  },
  { prompt: '', params: greedy({ max_new_tokens: 8 }) },
  { prompt: 'Café au lait — 東京', params: greedy({ max_new_tokens: 16 }) },
];

describe('loadEngine on the tiny GPT-2', () => {
  let engine: GenerationEngine;
  let arrayBuffersGrowth = 0;

  before(async () => {
    const modelDir = await ensureModel('tiny');
    const before = process.memoryUsage().arrayBuffers;
    engine = await loadEngine({ modelDir, device: 'cpu', maxBatchSize: 8 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    arrayBuffersGrowth = process.memoryUsage().arrayBuffers - before;
  });
  after(async () => {
    await engine.dispose();
  });

  it('knows the model limits', () => {
    assert.equal(engine.maxPositions, 1024);
    assert.equal(engine.maxBatchSize, 8);
  });

  it('leaves the weights to onnxruntime instead of reading them into JS memory', () => {
    // The tiny graph is 13.5 MB; transformers.js alone would stream all of it into Buffers.
    assert.ok(arrayBuffersGrowth < 4 * 1024 * 1024, `grew ${arrayBuffersGrowth} bytes`);
  });

  it('batched greedy output equals one-at-a-time output, token for token', async () => {
    const batched = await engine.generate(mixed);
    for (const [i, request] of mixed.entries()) {
      const [alone] = await engine.generate([request]);
      assert.deepEqual(
        { text: batched[i]!.text, tokens: batched[i]!.completionTokens },
        { text: alone!.text, tokens: alone!.completionTokens },
        `row ${i}`,
      );
      assert.equal(batched[i]!.finishReason, alone!.finishReason);
    }
    assert.equal(new Set(batched.map((o) => o.text)).size, mixed.length, 'outputs vary');
    assert.equal(batched[2]!.promptTokens, 1, 'an empty prompt is fed as <|endoftext|>');
  });

  it('greedy output equals transformers.js generate() on the same model', async () => {
    const modelDir = await ensureModel('tiny');
    const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
    const model = await AutoModelForCausalLM.from_pretrained(modelDir, {
      local_files_only: true,
      dtype: 'fp32',
    });
    try {
      const ours = await engine.generate(mixed.filter((r) => r.prompt !== ''));
      for (const [i, request] of mixed.filter((r) => r.prompt !== '').entries()) {
        const inputs = tokenizer(request.prompt);
        const generated = (await model.generate({
          ...inputs,
          max_new_tokens: request.params.max_new_tokens,
          do_sample: false,
          eos_token_id: null,
        } as Record<string, unknown>)) as Tensor;
        const ids = (generated.tolist() as bigint[][])[0]!.slice(inputs.input_ids.dims[1]);
        const text = tokenizer.decode(ids.map(Number), { skip_special_tokens: false });
        assert.equal(ours[i]!.text, text, `row ${i}`);
      }
    } finally {
      await model.dispose();
    }
  });

  it('same seed gives the same text batched and alone; other seeds differ', async () => {
    const sampled = (seed: number | null): GenerationRequest => ({
      prompt: 'Once upon a time',
      params: { ...defaultGenerationParams, temperature: 1, max_new_tokens: 16, seed },
    });
    const batched = await engine.generate([mixed[0]!, sampled(7), mixed[1]!, sampled(8)]);
    const [alone7] = await engine.generate([sampled(7)]);
    const [alone8] = await engine.generate([sampled(8)]);
    assert.equal(batched[1]!.text, alone7!.text);
    assert.equal(batched[3]!.text, alone8!.text);
    assert.notEqual(alone7!.text, alone8!.text);
    const [randomA, randomB] = await engine.generate([sampled(null), sampled(null)]);
    assert.notEqual(randomA!.text, randomB!.text);
  });

  it('stops at a stop sequence on decoded text, cutting before it', async () => {
    const request = { prompt: 'The weather today', params: greedy({ max_new_tokens: 24 }) };
    const [full] = await engine.generate([request]);
    const text = full!.text;
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 3);
    const [cut] = await engine.generate([
      { ...request, params: greedy({ max_new_tokens: 24, stop: [stop] }) },
    ]);
    assert.equal(cut!.finishReason, 'stop');
    assert.equal(cut!.text, text.slice(0, text.indexOf(stop)));
    assert.ok(cut!.completionTokens < full!.completionTokens);
  });

  it('respects max_new_tokens (finishReason length)', async () => {
    const outputs = await engine.generate([
      { prompt: 'Counting:', params: greedy({ max_new_tokens: 1 }) },
      { prompt: 'Counting:', params: greedy({ max_new_tokens: 7 }) },
    ]);
    assert.deepEqual(
      outputs.map((o) => [o.completionTokens, o.finishReason]),
      [
        [1, 'length'],
        [7, 'length'],
      ],
    );
    assert.ok(outputs[1]!.text.startsWith(outputs[0]!.text));
  });

  it('an aborted row stops mid-generation with its text so far; others continue', async () => {
    const long = greedy({ max_new_tokens: 40 });
    const [reference] = await engine.generate([{ prompt: 'Abort me', params: long }]);
    // Aborts on the 6th look at the signal: deterministic, independent of timing.
    let looks = 0;
    const controller = new AbortController();
    const signal = {
      get aborted() {
        if (++looks === 6) {
          controller.abort();
        }
        return controller.signal.aborted;
      },
    } as AbortSignal;
    const [aborted, other] = await engine.generate([
      { prompt: 'Abort me', params: long, signal },
      mixed[1]!,
    ]);
    assert.equal(aborted!.finishReason, 'canceled');
    assert.ok(aborted!.completionTokens > 0 && aborted!.completionTokens < 40);
    assert.ok(reference!.text.startsWith(aborted!.text));
    assert.ok(aborted!.text.length < reference!.text.length);
    const [otherAlone] = await engine.generate([mixed[1]!]);
    assert.equal(other!.text, otherAlone!.text);
    assert.equal(other!.finishReason, otherAlone!.finishReason);
  });

  it('refuses prompt + max_new_tokens beyond n_positions before any compute', async () => {
    const prompt = ' hello'.repeat(1000); // 1000 tokens
    const request = { prompt, params: greedy({ max_new_tokens: 25 }) };
    assert.match(engine.validate(request) ?? '', /1000 tokens.*25.*1024 positions/);
    assert.equal(engine.validate({ prompt, params: greedy({ max_new_tokens: 24 }) }), null);
    const started = performance.now();
    await assert.rejects(engine.generate([mixed[0]!, request]), GenerationRequestError);
    assert.ok(performance.now() - started < 500, 'refused without running the model');
  });

  it('top_k 1 and repetition_penalty 1 are greedy; a penalty changes greedy output', async () => {
    const base = await engine.generate(mixed);
    const topK1 = await engine.generate(
      mixed.map((r, i) => ({
        ...r,
        params: { ...r.params, temperature: 1.3, top_k: 1, seed: i },
      })),
    );
    const penalty1 = await engine.generate(
      mixed.map((r) => ({ ...r, params: { ...r.params, repetition_penalty: 1 } })),
    );
    assert.deepEqual(
      topK1.map((o) => o.text),
      base.map((o) => o.text),
    );
    assert.deepEqual(
      penalty1.map((o) => o.text),
      base.map((o) => o.text),
    );
    const penalised = await engine.generate(
      mixed.map((r) => ({ ...r, params: { ...r.params, repetition_penalty: 5 } })),
    );
    assert.ok(penalised.some((o, i) => o.text !== base[i]!.text));
  });

  it('refuses to generate after dispose', async () => {
    const disposable = await loadEngine({
      modelDir: await ensureModel('tiny'),
      device: 'cpu',
      maxBatchSize: 1,
    });
    await disposable.dispose();
    await assert.rejects(disposable.generate([mixed[0]!]), /disposed/);
  });
});
