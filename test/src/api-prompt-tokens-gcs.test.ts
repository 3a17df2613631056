import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configuredPromptTokens } from '@warmgen/api/configured-prompt-tokens.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server/gcs-test-server.ts';
import {
  memoryLogger,
  readTree,
  removeTempDirs,
  seedBucket,
  tempDir,
} from './hydration-fixtures.ts';

/**
 * The API alone counts prompt tokens with the model its workers load (MODEL_URI). From a
 * gs:// folder it hydrates config.json and the two tokenizer files with the workers'
 * hydration code, into a cache of its own, and never downloads the graph or the weights.
 */
describe('the API process’s prompt counter from MODEL_URI', () => {
  let server: GcsTestServer;
  let modelDir: string;

  before(async () => {
    server = await startGcsTestServer();
    modelDir = await ensureModel('tiny');
    seedBucket(server, 'models', 'gpt2', await readTree(modelDir));
  });
  after(async () => {
    await server.close();
    await removeTempDirs();
  });

  const fromGcs = (modelCacheDir: string) =>
    configuredPromptTokens(
      {
        model: { kind: 'gcs', bucket: 'models', prefix: 'gpt2' },
        modelCacheDir,
        storageApiEndpoint: server.url,
      },
      memoryLogger(),
    );

  it('gs://: fetches only config.json and the tokenizer files, once, and counts like the folder', async () => {
    const cacheDir = await tempDir('api-cache');
    const mark = server.requests.length;
    const tokens = await fromGcs(cacheDir);
    assert.ok(tokens !== null);
    assert.equal(tokens.maxPositions, 1024);
    assert.equal(tokens.count('hello '.repeat(600)), 601);
    const fetched = server.requests
      .slice(mark)
      .filter((request) => request.operation === 'media')
      .map((request) => request.object)
      .sort();
    assert.deepEqual(fetched, [
      'gpt2/config.json',
      'gpt2/tokenizer.json',
      'gpt2/tokenizer_config.json',
    ]);
    const tree = await readTree(join(cacheDir, 'api-tokenizer', 'current'));
    assert.deepEqual([...tree.keys()].filter((path) => !path.startsWith('.')).sort(), [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);

    const again = server.requests.length;
    assert.equal((await fromGcs(cacheDir))?.count('Hello'), 1);
    assert.equal(
      server.requests.slice(again).filter((request) => request.operation === 'media').length,
      0,
      'a second start reuses the cached files',
    );
  });

  it('a local folder is used as it is; the built-in stand-in has none, so the API does not count', async () => {
    const local = await configuredPromptTokens(
      {
        model: { kind: 'file', path: modelDir },
        modelCacheDir: '/nonexistent',
        storageApiEndpoint: null,
      },
      memoryLogger(),
    );
    assert.equal(local?.count('hello '.repeat(600)), 601);
    const logger = memoryLogger();
    const builtin = await configuredPromptTokens(
      { model: { kind: 'builtin' }, modelCacheDir: '/nonexistent', storageApiEndpoint: null },
      logger,
    );
    assert.equal(builtin, null);
    assert.match(logger.lines[0]?.message ?? '', /refused by the worker, not at submit/);
  });

  it('a bucket folder without the tokenizer fails loudly', async () => {
    seedBucket(server, 'broken', 'gpt2', new Map([['config.json', Buffer.from('{}')]]));
    await assert.rejects(
      configuredPromptTokens(
        {
          model: { kind: 'gcs', bucket: 'broken', prefix: 'gpt2' },
          modelCacheDir: await tempDir('api-cache'),
          storageApiEndpoint: server.url,
        },
        memoryLogger(),
      ),
      /has no tokenizer\.json, tokenizer_config\.json/,
    );
  });
});
