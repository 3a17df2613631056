import assert from 'node:assert/strict';
import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { type HydrateOptions, hydrateModel } from '@warmgen/shared/hydration/hydrate-model.ts';
import { HydrationError } from '@warmgen/shared/hydration/hydration-errors.ts';
import type { FaultRule } from './gcs-test-server/faults.ts';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server/gcs-test-server.ts';
import {
  gcsSource,
  memoryLogger,
  readTree,
  removeTempDirs,
  seedBucket,
  stagingEntries,
  tempDir,
  writeFixtureModel,
} from './hydration-fixtures.ts';

// Every fault the test server can inject, against the hydrator with the client's own
// retries off: each is either recovered by the hydrator (and the model is exact) or fails
// closed with an error naming the object and nothing published.

const MiB = 1024 * 1024;
const BIG = 'gpt2/onnx/model.onnx_data';
let server: GcsTestServer;
let contents: Map<string, Buffer>;

before(async () => {
  server = await startGcsTestServer();
  contents = await writeFixtureModel(await tempDir('model'));
  seedBucket(server, 'faults', 'gpt2', contents);
});

after(async () => {
  await server.close();
  await removeTempDirs();
});

beforeEach(() => {
  server.faults.clear();
});

async function hydrate(cacheDir: string, extra: Partial<HydrateOptions> = {}) {
  const logger = memoryLogger();
  const run = hydrateModel({
    source: gcsSource(server, 'faults', 'gpt2'),
    cacheDir,
    chunkBytes: MiB,
    concurrency: 4,
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 40 },
    stallTimeoutMs: 2000,
    logger,
    ...extra,
  });
  return { run, logger };
}

async function assertExactModel(modelDir: string) {
  const tree = await readTree(modelDir);
  for (const [path, data] of contents) {
    assert.ok(tree.get(path)?.equals(data), `${path} differs`);
  }
}

const recovered: [string, FaultRule][] = [
  ['two 503s on the large file', { kind: 'status', status: 503, object: BIG, times: 2 }],
  [
    'a 429 with Retry-After',
    { kind: 'status', status: 429, object: 'gpt2/config.json', retryAfterSeconds: 0 },
  ],
  ['a 503 on the listing', { kind: 'status', status: 503, operation: 'list' }],
  ['a connection reset mid-body', { kind: 'reset', object: BIG, atByte: 100_000 }],
  [
    'a truncated body (clean end, no Content-Length)',
    { kind: 'truncate', object: 'gpt2/tokenizer.json' },
  ],
  ['a flipped byte in one range (whole-file crc32c)', { kind: 'flip', object: BIG, skip: 2 }],
  ['a flipped byte in a whole-file read', { kind: 'flip', object: 'gpt2/onnx/model.onnx' }],
  ['a slow body that stalls past the stall timeout', { kind: 'slow', object: BIG, pauseMs: 1500 }],
];

for (const [name, rule] of recovered) {
  test(`recovers from ${name}`, async () => {
    const hit = server.faults.add(rule);
    const cacheDir = await tempDir('cache');
    const { run, logger } = await hydrate(
      cacheDir,
      rule.kind === 'slow' ? { stallTimeoutMs: 300 } : {},
    );
    const result = await run;
    assert.equal(hit.hits, rule.times ?? 1);
    await assertExactModel(result.modelDir);
    assert.ok(
      logger.lines.some((l) => l.level === 'warn' && /retrying/.test(l.message)),
      'the retry is logged',
    );
    assert.deepEqual(await stagingEntries(cacheDir), []);
  });
}

test('a slow body that keeps flowing is waited for, not retried', async () => {
  server.faults.add({ kind: 'slow', object: 'gpt2/config.json', pauseMs: 300 });
  const { run, logger } = await hydrate(await tempDir('cache'));
  await assertExactModel((await run).modelDir);
  assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 0);
});

const fatal: [string, FaultRule, RegExp][] = [
  [
    'a byte flipped on every download',
    { kind: 'flip', object: BIG, times: Number.POSITIVE_INFINITY },
    /gs:\/\/faults\/gpt2\/onnx\/model\.onnx_data .*crc32c .* after 3 downloads/,
  ],
  [
    '503 on every try',
    { kind: 'status', status: 503, object: 'gpt2/tokenizer.json', times: Number.POSITIVE_INFINITY },
    /Injected 503/,
  ],
  [
    'a 404 (object gone since the listing), which is not retried',
    { kind: 'status', status: 404, object: 'gpt2/config.json' },
    /Injected 404/,
  ],
];

for (const [name, rule, message] of fatal) {
  test(`fails closed on ${name}: a clear error, nothing published, staging removed`, async () => {
    const hit = server.faults.add(rule);
    const cacheDir = await tempDir('cache');
    const { run } = await hydrate(cacheDir);
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof HydrationError);
      assert.match(error.message, /from gs:\/\/faults\/gpt2 failed; nothing was published/);
      assert.match(error.message, message);
      return true;
    });
    await assert.rejects(readlink(join(cacheDir, 'current')), { code: 'ENOENT' });
    assert.deepEqual(await stagingEntries(cacheDir), []);
    if (rule.kind === 'status' && rule.status === 404) {
      assert.equal(hit.hits, 1);
    }
  });
}

test('a failed update leaves the previous verified model in place', async () => {
  const cacheDir = await tempDir('cache');
  const first = await (await hydrate(cacheDir)).run;
  server.store.put('faults', BIG, Buffer.alloc(3 * MiB, 7));
  server.faults.add({ kind: 'flip', object: BIG, times: Number.POSITIVE_INFINITY });
  try {
    await assert.rejects((await hydrate(cacheDir)).run, HydrationError);
    assert.equal(
      await readlink(join(cacheDir, 'current')),
      join('versions', first.modelDir.split('/').pop() ?? ''),
    );
    await assertExactModel(first.modelDir);
  } finally {
    server.store.put('faults', BIG, contents.get('onnx/model.onnx_data') as Buffer);
  }
});
