import assert from 'node:assert/strict';
import { readlink, realpath, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalFolderModelSource } from '@warmgen/shared/adapters/local/local-folder-model-source.ts';
import { hydrateModel } from '@warmgen/shared/hydration/hydrate-model.ts';
import type { HydrationProgress } from '@warmgen/shared/hydration/hydration-progress.ts';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server/gcs-test-server.ts';
import {
  fixtureFiles,
  gcsSource,
  memoryLogger,
  readTree,
  removeTempDirs,
  seedBucket,
  stagingEntries,
  tempDir,
  writeFixtureModel,
} from './hydration-fixtures.ts';

const MiB = 1024 * 1024;
const MANIFEST = '.hydration-manifest.json';
let server: GcsTestServer;
let modelFolder: string;
let contents: Map<string, Buffer>;

before(async () => {
  server = await startGcsTestServer();
  modelFolder = await tempDir('model');
  contents = await writeFixtureModel(modelFolder);
});

after(async () => {
  await server.close();
  await removeTempDirs();
});

function mediaRequests(since: number) {
  return server.requests.slice(since).filter((r) => r.operation === 'media');
}

function assertSameModel(tree: Map<string, Buffer>, expected: Map<string, Buffer>) {
  assert.deepEqual(
    [...tree.keys()].filter((p) => p !== MANIFEST).sort(),
    [...expected.keys()].sort(),
  );
  for (const [path, data] of expected) {
    assert.ok(tree.get(path)?.equals(data), `${path} differs`);
  }
}

test('hydrates every file byte for byte, the large one as parallel ranges, and publishes it atomically', async () => {
  seedBucket(server, 'happy', 'gpt2', contents);
  const cacheDir = await tempDir('cache');
  const progress: HydrationProgress[] = [];
  const logger = memoryLogger();
  const mark = server.requests.length;
  const result = await hydrateModel({
    source: gcsSource(server, 'happy', 'gpt2'),
    cacheDir,
    chunkBytes: MiB,
    concurrency: 4,
    logger,
    progressIntervalMs: 5,
    onProgress: (p) => progress.push(p),
  });
  assertSameModel(await readTree(result.modelDir), contents);
  const totalBytes = [...contents.values()].reduce((sum, d) => sum + d.length, 0);
  assert.equal(result.files, contents.size);
  assert.equal(result.downloadedBytes, totalBytes);
  assert.equal(result.totalBytes, totalBytes);
  assert.equal(result.source, 'gs://happy/gpt2');
  assert.equal(
    await readlink(join(cacheDir, 'current')),
    join('versions', result.modelDir.split('/').pop() ?? ''),
  );
  assert.deepEqual(await stagingEntries(cacheDir), []);

  const big = fixtureFiles['onnx/model.onnx_data'] as number;
  const ranges = mediaRequests(mark).filter((r) => r.object === 'gpt2/onnx/model.onnx_data');
  assert.equal(ranges.length, Math.ceil(big / MiB));
  assert.ok(ranges.every((r) => r.range && r.status === 206));
  assert.equal(mediaRequests(mark).length, ranges.length + contents.size - 1);

  assert.ok(progress.length >= 1);
  assert.equal(progress.at(-1)?.percent, 100);
  assert.equal(progress.at(-1)?.bytes, totalBytes);
  const summary = logger.lines.find((l) => l.message.startsWith('model ready'));
  assert.match(summary?.message ?? '', /5 files, 5\.\d MB downloaded .* from gs:\/\/happy\/gpt2/);
});

test('a warm restart against an unchanged bucket downloads 0 bytes and is ready in under 1 s', async () => {
  seedBucket(server, 'warm', 'gpt2', contents);
  const cacheDir = await tempDir('cache');
  const source = gcsSource(server, 'warm', 'gpt2');
  const first = await hydrateModel({ source, cacheDir, chunkBytes: MiB, logger: memoryLogger() });
  const mark = server.requests.length;
  const started = performance.now();
  const second = await hydrateModel({ source, cacheDir, chunkBytes: MiB, logger: memoryLogger() });
  assert.ok(performance.now() - started < 1000);
  assert.equal(second.downloadedBytes, 0);
  assert.equal(second.reusedFiles, contents.size);
  assert.equal(second.modelDir, first.modelDir);
  assert.deepEqual(
    server.requests.slice(mark).map((r) => r.operation),
    ['list'],
  );
});

test('a changed object (new generation) is downloaded alone; unchanged files are reused as hard links', async () => {
  seedBucket(server, 'change', 'gpt2', contents);
  const cacheDir = await tempDir('cache');
  const source = gcsSource(server, 'change', 'gpt2');
  const first = await hydrateModel({ source, cacheDir, chunkBytes: MiB, logger: memoryLogger() });
  const newTokenizer = Buffer.from('{"version": "changed"}');
  server.store.put('change', 'gpt2/tokenizer.json', newTokenizer);
  const mark = server.requests.length;
  const second = await hydrateModel({ source, cacheDir, chunkBytes: MiB, logger: memoryLogger() });
  assert.deepEqual(
    mediaRequests(mark).map((r) => r.object),
    ['gpt2/tokenizer.json'],
  );
  assert.equal(second.downloadedFiles, 1);
  assert.equal(second.downloadedBytes, newTokenizer.length);
  assert.notEqual(second.modelDir, first.modelDir);
  assertSameModel(
    await readTree(second.modelDir),
    new Map([...contents, ['tokenizer.json', newTokenizer]]),
  );
  const [before, after] = await Promise.all([
    stat(join(first.modelDir, 'onnx/model.onnx_data')),
    stat(join(second.modelDir, 'onnx/model.onnx_data')),
  ]);
  assert.equal(after.ino, before.ino);
  // The replaced folder stays for a process that may still be loading it, until the next change.
  assertSameModel(await readTree(first.modelDir), contents);
  server.store.delete('change', 'gpt2/config.json');
  const third = await hydrateModel({ source, cacheDir, chunkBytes: MiB, logger: memoryLogger() });
  assert.equal(third.downloadedBytes, 0);
  assert.equal(third.files, contents.size - 1);
  assert.equal((await readTree(third.modelDir)).has('config.json'), false);
  await assert.rejects(stat(first.modelDir), { code: 'ENOENT' });
});

test('a local folder (file:// URL) hydrates the same way, and a touched file is copied again', async () => {
  const cacheDir = await tempDir('cache');
  const source = new LocalFolderModelSource(`file://${modelFolder}`);
  const first = await hydrateModel({ source, cacheDir, chunkBytes: MiB, logger: memoryLogger() });
  assertSameModel(await readTree(first.modelDir), contents);
  const warm = await hydrateModel({ source, cacheDir, logger: memoryLogger() });
  assert.equal(warm.downloadedBytes, 0);
  const { utimes } = await import('node:fs/promises');
  await utimes(join(modelFolder, 'config.json'), new Date(), new Date(Date.now() + 5000));
  const touched = await hydrateModel({ source, cacheDir, logger: memoryLogger() });
  assert.equal(touched.downloadedFiles, 1);
  assert.equal(touched.downloadedBytes, contents.get('config.json')?.length);
});

test('a cache folder reached through a symlink gives canonical paths and keeps the replaced model', async () => {
  seedBucket(server, 'linked', 'gpt2', contents);
  const real = await tempDir('cache-real');
  const linked = join(await tempDir('cache-link'), 'cache');
  await symlink(real, linked);
  const source = gcsSource(server, 'linked', 'gpt2');
  const first = await hydrateModel({ source, cacheDir: linked, logger: memoryLogger() });
  assert.ok(first.modelDir.startsWith(await realpath(real)));
  const warm = await hydrateModel({ source, cacheDir: linked, logger: memoryLogger() });
  assert.equal(warm.modelDir, first.modelDir);
  server.store.put('linked', 'gpt2/config.json', Buffer.from('{}'));
  const second = await hydrateModel({ source, cacheDir: linked, logger: memoryLogger() });
  assert.notEqual(second.modelDir, first.modelDir);
  assertSameModel(await readTree(first.modelDir), contents);
});
