import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { env } from '@huggingface/transformers';
import { ensureModel } from '../model-builder/ensure-model.ts';
import { registerModelFolder } from './model-folder-cache.ts';

describe('model folder cache (keeps transformers.js from streaming weights into memory)', () => {
  it('answers ONNX files with their path and other files with their bytes', async () => {
    const dir = await ensureModel('tiny');
    registerModelFolder(dir);
    assert.equal(env.useCustomCache, true);
    const cache = env.customCache as { match(key: string): Promise<unknown> };
    const onnx = join(dir, 'onnx', 'model.onnx');
    assert.equal(await cache.match(onnx), onnx);
    // The library's second lookup uses the would-be remote URL, which embeds the folder.
    const remote = `https://huggingface.co${dir}/resolve/main/onnx/model.onnx`;
    assert.equal(await cache.match(remote), onnx);
    assert.equal(await cache.match(`${onnx}_data_1`), `${onnx}_data_1`);
    const config = await cache.match(join(dir, 'config.json'));
    assert.ok(config instanceof Response);
    assert.equal(((await config.json()) as { model_type: string }).model_type, 'gpt2');
    assert.equal(await cache.match(join(dir, 'missing.json')), undefined);
    assert.equal(await cache.match('/some/other/folder/config.json'), undefined);
  });
});
