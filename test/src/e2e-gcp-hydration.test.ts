import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { MANIFEST_FILE } from '@warmgen/shared/hydration/cache-manifest.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { exitWithin } from './e2e/service-process.ts';
import { inheritedEnv, repoRoot, workerMain } from './gcp-stack/stack-env.ts';
import { type SupervisedProcess, startProcess, tail } from './gcp-stack/supervised-process.ts';
import { jsonLines } from './gcp-stack/use-gcp-stack.ts';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server/gcs-test-server.ts';
import { readTree } from './hydration-fixtures.ts';

/**
 * Hydration faults end to end: the real worker process (worker/src/main.ts) hydrating
 * MODEL_URI=gs://… through STORAGE_API_ENDPOINT from the GCS test server, which injects the
 * faults. The queue backend is the embedded one here: hydration runs before the worker
 * touches its queue, and e2e-gcp-stack.test.ts runs workers hydrating on BACKEND=gcp.
 */
const bucket = 'warmgen-models';
const prefix = 'gpt2';
const weights = `${prefix}/onnx/model.onnx`;
const tokenizer = `${prefix}/tokenizer.json`;

describe('the worker process hydrating from Cloud Storage', () => {
  let server: GcsTestServer;
  let modelDir: string;
  const dirs: string[] = [];
  const workers: SupervisedProcess[] = [];
  let startedInTest: SupervisedProcess[] = [];

  before(async () => {
    modelDir = await ensureModel('tiny');
    server = await startGcsTestServer();
    await server.store.putFolder(bucket, prefix, modelDir);
  });
  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false) {
      for (const worker of startedInTest) {
        process.stderr.write(
          `\n--- last lines of ${worker.name} ---\n${tail(worker.lines(), 60)}\n`,
        );
      }
    }
    startedInTest = [];
    server.faults.clear();
  });
  after(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await server?.close();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function spawnWorker(): Promise<{ worker: SupervisedProcess; cacheDir: string }> {
    const root = await mkdtemp(join(tmpdir(), 'warmgen-e2e-hydrate-'));
    dirs.push(root);
    const cacheDir = join(root, 'models');
    const worker = startProcess({
      name: 'worker',
      command: process.execPath,
      args: [workerMain],
      cwd: repoRoot,
      env: {
        ...inheritedEnv(),
        METADATA_SERVER_DETECTION: 'none',
        DATA_DIR: join(root, 'data'),
        MODEL_URI: `gs://${bucket}/${prefix}`,
        STORAGE_API_ENDPOINT: server.url,
        MODEL_CACHE_DIR: cacheDir,
      },
    });
    workers.push(worker);
    startedInTest.push(worker);
    return { worker, cacheDir };
  }

  it('503s on listing and downloads and a reset connection are retried: the worker becomes ready on a verified copy', async () => {
    const faults = [
      server.faults.add({ operation: 'list', kind: 'status', status: 503, times: 2 }),
      server.faults.add({ object: tokenizer, kind: 'status', status: 503, times: 3 }),
      server.faults.add({ object: weights, kind: 'reset', times: 1 }),
    ];
    const { worker, cacheDir } = await spawnWorker();
    await worker.waitForLine(/warmgen worker ready/, 120_000);

    assert.deepEqual(
      faults.map((fault) => fault.hits),
      [2, 3, 1],
      'every injected fault was hit',
    );
    const lines = jsonLines(worker);
    // A reset mid-body cannot be retried inside the client: the hydrator retried it.
    assert.ok(
      lines.some((line) => line.message === 'retrying onnx/model.onnx'),
      'the hydrator retried the reset download',
    );
    const ready = lines.find((line) => String(line.message).startsWith('model ready'));
    // The stand-in folder: 5 files transformers.js reads, plus the decode graph and its stamp.
    assert.equal(ready?.files, 7);
    assert.equal(ready?.source, `gs://${bucket}/${prefix}`);
    // The published folder holds exactly the source's bytes (and the manifest).
    const published = await readTree(join(cacheDir, 'current'));
    const source = await readTree(modelDir);
    published.delete(MANIFEST_FILE);
    assert.deepEqual([...published.keys()].sort(), [...source.keys()].sort());
    for (const [path, bytes] of source) {
      assert.ok(published.get(path)?.equals(bytes), `${path} is byte-identical`);
    }
    assert.deepEqual(await worker.stop(), { code: 0, signal: null });
  });

  it('a byte flipped on every download fails closed: the worker exits non-zero naming the object, nothing published', async () => {
    const fault = server.faults.add({ object: tokenizer, kind: 'flip', times: Infinity });
    const { worker, cacheDir } = await spawnWorker();
    const status = await exitWithin(worker.exited, 120_000);
    assert.notEqual(status, 'timeout', 'the worker gave up');
    assert.ok(
      status !== 'timeout' && status.code !== 0 && status.code !== null,
      `exit ${JSON.stringify(status)}`,
    );
    assert.ok(fault.hits >= 2, `the object was downloaded again before giving up (${fault.hits})`);

    const output = worker.lines().join('\n');
    assert.match(output, /HydrationError/);
    assert.match(
      output,
      new RegExp(
        `gs://${bucket}/${prefix}/tokenizer\\.json \\(version \\d+\\): .*after \\d+ downloads`,
      ),
    );
    assert.match(output, /nothing was published/);
    assert.doesNotMatch(output, /warmgen worker ready/);
    // No model folder: no `current` link, no published version, no staging leftovers.
    await assert.rejects(lstat(join(cacheDir, 'current')), { code: 'ENOENT' });
    assert.deepEqual(await listOrEmpty(join(cacheDir, 'versions')), []);
    assert.deepEqual(await listOrEmpty(join(cacheDir, 'staging')), []);
  });
});

async function listOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw error;
  }
}
