import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { cachedModelPath, ensureModel } from './ensure-model.ts';
import type { ModelSize } from './model-sizes.ts';

const run = promisify(execFile);
let cacheDir: string;

before(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'warmgen-ensure-model-'));
});
after(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

test('builds once into <cacheDir>/<size>-seed<seed> and reuses the folder', async () => {
  const dir = await ensureModel('tiny', { cacheDir, seed: 7 });
  assert.equal(dir, join(cacheDir, 'tiny-seed7'));
  assert.equal(dir, cachedModelPath('tiny', { cacheDir, seed: 7 }));
  assert.equal((await stat(dir)).mode & 0o777, 0o755);
  const first = await stat(join(dir, 'onnx', 'model.onnx'));
  const again = await ensureModel('tiny', { cacheDir, seed: 7 });
  assert.equal(again, dir);
  const second = await stat(join(dir, 'onnx', 'model.onnx'));
  assert.equal(second.ino, first.ino, 'the cached folder was rebuilt');
  assert.equal(second.mtimeMs, first.mtimeMs);
  assert.deepEqual(
    (await readdir(cacheDir)).filter((entry) => entry.startsWith('.')),
    [],
    'temporary build folders were left behind',
  );
});

test('concurrent callers in one process share one build', async () => {
  const calls = [1, 2, 3].map(() => ensureModel('tiny', { cacheDir, seed: 8 }));
  const dirs = await Promise.all(calls);
  assert.deepEqual(new Set(dirs), new Set([join(cacheDir, 'tiny-seed8')]));
});

test('several processes racing for the same folder all get one complete build', async () => {
  const moduleUrl = new URL('./ensure-model.ts', import.meta.url).href;
  const script = `import { ensureModel } from ${JSON.stringify(moduleUrl)};
    process.stdout.write(await ensureModel('tiny', { cacheDir: process.argv[1], seed: 9 }));`;
  const children = [1, 2, 3].map(() =>
    run(process.execPath, ['--input-type=module', '-e', script, cacheDir]),
  );
  const outputs = await Promise.all(children);
  const expected = join(cacheDir, 'tiny-seed9');
  for (const { stdout } of outputs) {
    assert.equal(stdout, expected);
  }
  // The winner's folder is complete and byte-identical to an independent build.
  const reference = await ensureModel('tiny', { cacheDir: join(cacheDir, 'independent'), seed: 9 });
  for (const file of ['onnx/model.onnx', 'tokenizer.json', 'config.json']) {
    assert.ok(
      (await readFile(join(expected, file))).equals(await readFile(join(reference, file))),
      file,
    );
  }
  assert.deepEqual(
    (await readdir(cacheDir)).filter((entry) => entry.startsWith('.')),
    [],
    'losing builds were not cleaned up',
  );
});

test('a folder left by another builder version is rebuilt', async () => {
  const dir = await ensureModel('tiny', { cacheDir, seed: 10 });
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8'));
  await writeFile(
    configPath,
    JSON.stringify({ ...config, warmgen_builder: { ...config.warmgen_builder, version: 0 } }),
  );
  await ensureModel('tiny', { cacheDir, seed: 10 });
  const rebuilt = JSON.parse(await readFile(configPath, 'utf8'));
  assert.deepEqual(rebuilt, config);
});

test('an unknown size is rejected with a message naming the sizes', async () => {
  await assert.rejects(
    ensureModel('huge' as ModelSize, { cacheDir }),
    /unknown model size "huge".*tiny, small/,
  );
});
