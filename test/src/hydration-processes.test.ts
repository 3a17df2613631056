import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { HydrationResult } from '@warmgen/shared/hydration/hydrate-model.ts';
import { hydrateModel } from '@warmgen/shared/hydration/hydrate-model.ts';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server/gcs-test-server.ts';
import {
  gcsSource,
  memoryLogger,
  readTree,
  removeTempDirs,
  seedBucket,
  tempDir,
  writeFixtureModel,
} from './hydration-fixtures.ts';

const MiB = 1024 * 1024;
let server: GcsTestServer;
let contents: Map<string, Buffer>;

before(async () => {
  server = await startGcsTestServer();
  contents = await writeFixtureModel(await tempDir('model'));
  seedBucket(server, 'shared', 'gpt2', contents);
});

after(async () => {
  await server.close();
  await removeTempDirs();
});

async function hydrateInChild(cacheDir: string): Promise<HydrationResult> {
  const script = new URL('./hydration-child-process.ts', import.meta.url).pathname;
  const args = JSON.stringify({
    url: server.url,
    bucket: 'shared',
    prefix: 'gpt2',
    cacheDir,
    chunkBytes: MiB,
  });
  const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', script, args], {
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as HydrationResult;
}

test('two worker processes on one cache folder download the model once and share it', async () => {
  const cacheDir = await tempDir('cache');
  // A pause in one body keeps the first hydration running while the second one starts.
  server.faults.add({ kind: 'slow', object: 'gpt2/tokenizer.json', pauseMs: 1500 });
  const mark = server.requests.length;
  const results = await Promise.all([hydrateInChild(cacheDir), hydrateInChild(cacheDir)]);
  const media = server.requests.slice(mark).filter((r) => r.operation === 'media');
  const big = contents.get('onnx/model.onnx_data')?.length ?? 0;
  assert.equal(media.length, contents.size - 1 + Math.ceil(big / MiB));
  assert.equal(new Set(media.map((r) => `${r.object} ${r.range}`)).size, media.length);
  const [a, b] = results as [HydrationResult, HydrationResult];
  assert.equal(a.modelDir, b.modelDir);
  assert.deepEqual([a.downloadedFiles, b.downloadedFiles].sort(), [0, contents.size]);
  // The second really overlapped the first: it waited on the host lock, then reused.
  const waiter = a.downloadedFiles === 0 ? a : b;
  assert.ok(waiter.lockWaitSeconds > 0.2, `waited ${waiter.lockWaitSeconds} s`);
  const tree = await readTree(a.modelDir);
  for (const [path, data] of contents) {
    assert.ok(tree.get(path)?.equals(data), `${path} differs`);
  }
});

test('a lock left by a crashed process is taken over once stale', async () => {
  const cacheDir = await tempDir('cache');
  const lockDir = join(cacheDir, 'hydration.lock');
  await mkdir(lockDir, { recursive: true });
  const longAgo = new Date(Date.now() - 60_000);
  await utimes(lockDir, longAgo, longAgo);
  const started = performance.now();
  const result = await hydrateModel({
    source: gcsSource(server, 'shared', 'gpt2'),
    cacheDir,
    chunkBytes: MiB,
    lockStaleMs: 5000,
    logger: memoryLogger(),
  });
  assert.ok(performance.now() - started < 5000);
  assert.equal(result.downloadedFiles, contents.size);
});
