import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalFolderModelSource } from '../adapters/local/local-folder-model-source.ts';
import { hydrateModel } from './hydrate-model.ts';

describe('hydrateModel progress', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('stops reporting progress once it returns, with or without onProgress', async () => {
    const root = await mkdtemp(join(tmpdir(), 'warmgen-hydrate-'));
    dirs.push(root);
    const model = join(root, 'model');
    await mkdir(join(model, 'onnx'), { recursive: true });
    await writeFile(join(model, 'config.json'), '{}');
    await writeFile(join(model, 'onnx', 'model.onnx'), Buffer.alloc(64 * 1024, 1));

    for (const withCallback of [false, true]) {
      const lines: string[] = [];
      const logger = {
        info: (_fields: object, message: string) => lines.push(message),
        warn: (_fields: object, message: string) => lines.push(message),
      };
      await hydrateModel({
        source: new LocalFolderModelSource(model),
        cacheDir: join(root, `cache-${withCallback}`),
        logger,
        progressIntervalMs: 5,
        ...(withCallback ? { onProgress: () => {} } : {}),
      });
      const atReturn = lines.length;
      assert.match(lines.at(-1) ?? '', /^model ready: 2 files/);
      await sleep(60);
      assert.deepEqual(
        lines.slice(atReturn),
        [],
        `no lines after the summary (onProgress ${withCallback})`,
      );
    }
  });
});
