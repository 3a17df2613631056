import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { q8Accuracy } from '../../bench/q8-accuracy.ts';
import { ensureModel } from '../model-builder/ensure-model.ts';
import { loadCodec } from './load-codec.ts';
import { KvBudgetError, loadEngine } from './load-engine.ts';
import { checkModelFolder } from './model-folder.ts';

const prompts = ['The quick brown fox', 'Once upon a time', 'Hello, my name is', 'In 1999 the'];
const greedy = { ...defaultGenerationParams, temperature: 0, max_new_tokens: 24 };

describe('MODEL_DTYPE=q8 on the tiny GPT-2', () => {
  let dir: string;
  before(async () => {
    // A copy: the q8 graph is written into the folder, and the shared cache stays as built.
    dir = await mkdtemp(join(tmpdir(), 'warmgen-q8-'));
    await cp(await ensureModel('tiny'), dir, { recursive: true });
    for (const name of await readdir(join(dir, 'onnx'))) {
      if (name.startsWith('warmgen-decode-q8')) {
        await rm(join(dir, 'onnx', name));
      }
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes its graph once, generates, and agrees with fp32 on most positions', async () => {
    const fp32 = await loadEngine({
      modelDir: dir,
      device: 'cpu',
      maxBatchSize: 4,
      ignoreEos: true,
    });
    const full = await fp32.generate(prompts.map((prompt) => ({ prompt, params: greedy })));
    await fp32.dispose();

    const lines: string[] = [];
    const q8 = await loadEngine(
      { modelDir: dir, device: 'cpu', maxBatchSize: 4, ignoreEos: true, dtype: 'q8' },
      (line) => lines.push(line),
    );
    const quantized = await q8.generate(prompts.map((prompt) => ({ prompt, params: greedy })));
    await q8.dispose();
    assert.ok(
      lines.some((line) => /writing the decode graph .*warmgen-decode-q8\.onnx/.test(line)),
    );
    assert.ok((await readdir(join(dir, 'onnx'))).includes('warmgen-decode-q8.json'));
    assert.ok(quantized.every((output) => output.completionTokens === 24));
    // Same first token for most prompts (greedy text drifts apart after one difference).
    const sameStart = quantized.filter((o, i) => o.text.slice(0, 3) === full[i]!.text.slice(0, 3));
    assert.ok(
      sameStart.length >= 2,
      JSON.stringify({ quantized: quantized.map((o) => o.text), full: full.map((o) => o.text) }),
    );

    // Teacher-forced on fp32's own sequences: top-1 agreement per position (0.92 measured;
    // a broken quantization agrees on almost none).
    const codec = await loadCodec(await checkModelFolder(dir));
    const sequences = prompts.map((prompt, i) => [
      ...codec.encode(prompt),
      ...codec.encode(full[i]!.text),
    ]);
    const accuracy = await q8Accuracy(dir, sequences);
    assert.ok(accuracy.top1Agreement >= 0.8, JSON.stringify(accuracy));
    assert.ok(accuracy.maxLogitErrorRelative < 0.25, JSON.stringify(accuracy));
  });

  it('a KV budget that cannot hold one full-length row is refused naming KV_CACHE_MB', async () => {
    await assert.rejects(
      loadEngine({ modelDir: dir, device: 'cpu', kvBudgetBytes: 2 ** 19 }),
      (error: unknown) => {
        assert.ok(error instanceof KvBudgetError);
        // tiny: 2 layers x 2 x 64 floats x 4 bytes = 1 KiB per column, 1 MiB for 1024.
        assert.match(
          error.message,
          /KV_CACHE_MB is 0\.5 MB, too small .* set KV_CACHE_MB to at least 1$/,
        );
        return true;
      },
    );
  });
});
