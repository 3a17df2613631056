import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelFile } from '../ports/model-source.ts';
import { type CacheManifest, planHydration } from './cache-manifest.ts';

const file = (path: string, version: string, sizeBytes = 10): ModelFile => ({
  path,
  version,
  sizeBytes,
  crc32c: `crc-${version}`,
});
const manifest = (source: string, files: ModelFile[]): CacheManifest => ({
  format: 1,
  source,
  hydratedAt: '2026-11-25T00:00:00Z',
  files,
});

test('an identical listing from the same source is up to date', () => {
  const files = [file('a', '1'), file('b', '2')];
  const plan = planHydration(files, 'gs://m/x', manifest('gs://m/x', files));
  assert.equal(plan.upToDate, true);
  assert.deepEqual(plan.fetch, []);
});

test('a new version, a new file or a different size is fetched; the rest reused', () => {
  const cached = [file('a', '1'), file('b', '2'), file('c', '3')];
  const listed = [file('a', '1'), file('b', '9'), file('c', '3', 11), file('d', '4')];
  const plan = planHydration(listed, 'gs://m/x', manifest('gs://m/x', cached));
  assert.deepEqual(
    plan.reuse.map((f) => f.path),
    ['a'],
  );
  assert.deepEqual(
    plan.fetch.map((f) => f.path),
    ['b', 'c', 'd'],
  );
  assert.equal(plan.upToDate, false);
});

test('a removed file makes the cache out of date without fetching anything', () => {
  const plan = planHydration(
    [file('a', '1')],
    'gs://m/x',
    manifest('gs://m/x', [file('a', '1'), file('b', '2')]),
  );
  assert.equal(plan.upToDate, false);
  assert.deepEqual(plan.fetch, []);
});

test('a cache from another source is never reused, even with equal versions', () => {
  const files = [file('a', '1')];
  const plan = planHydration(files, 'gs://other/x', manifest('gs://m/x', files));
  assert.deepEqual(
    plan.fetch.map((f) => f.path),
    ['a'],
  );
});
