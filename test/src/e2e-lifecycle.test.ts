import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { embeddedDatabasePath } from '@warmgen/shared/adapters/sqlite/open-database.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { batchResults, submitBatch, waitForJob, waitForJobState } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import { exitWithin, runServiceToExit } from './e2e/service-process.ts';
import { installCompletionCounter, readStore } from './e2e/store-inspection.ts';

/** Start-up and shutdown of the real process. */
describe('SIGTERM stops the real process gracefully', () => {
  const services = useServices();

  it('exits 0 within the grace period; in-flight jobs are finished or queued, then completed after a restart', async () => {
    const graceSeconds = 1;
    const env = { SHUTDOWN_GRACE_SECONDS: String(graceSeconds), MAX_BATCH: '4' };
    const dataDir = await services.dataDir();
    const databasePath = embeddedDatabasePath(dataDir);
    installCompletionCounter(databasePath);
    const first = await services.start({ dataDir, env });

    // One batch, so the worker gathers both rows into one generate call: the short row is
    // done long before the grace period ends, the long one cannot be.
    const batch = await submitBatch(first.baseUrl, [
      { custom_id: 'long', prompt: 'Long', params: { max_new_tokens: 1000, seed: 8 } },
      { custom_id: 'short', prompt: 'Short', params: { max_new_tokens: 8, seed: 8 } },
    ]);
    const [long, short] = await batchResults(first.baseUrl, batch.id);
    assert.ok(long && short);
    await waitForJobState(first.baseUrl, long.id, (j) => j.status === 'running');
    await waitForJobState(first.baseUrl, short.id, (j) => j.status !== 'queued');

    const signaledAt = Date.now();
    process.kill(first.pid, 'SIGTERM');
    const exit = await exitWithin(first.exited, (graceSeconds + 5) * 1000);
    const exitedAfterMs = Date.now() - signaledAt;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(
      exitedAfterMs < (graceSeconds + 3) * 1000,
      `exited ${exitedAfterMs} ms after SIGTERM with a ${graceSeconds} s grace period`,
    );
    assert.match(first.logs(), /shutdown signal received/);

    const atExit = readStore(databasePath);
    const byId = new Map(atExit.jobs.map((job) => [job.id, job]));
    for (const job of [short, long]) {
      const stored = byId.get(job.id);
      assert.ok(
        stored?.status === 'succeeded' || stored?.status === 'queued',
        `${job.id} is ${stored?.status} after shutdown`,
      );
    }
    const queuedAtExit = atExit.jobs.filter((job) => job.status === 'queued').length;
    assert.equal(atExit.queueMessages, queuedAtExit, 'every job handed back is in the queue');
    // 1,000 tokens take several seconds even on a quiet machine: the long job was handed back.
    assert.equal(byId.get(long.id)?.status, 'queued');
    assert.equal(byId.get(short.id)?.status, 'succeeded');

    const second = await services.start({ dataDir, env });
    for (const job of [short, long]) {
      const done = await waitForJob(second.baseUrl, job.id, 120_000);
      assert.equal(done.status, 'succeeded');
    }
    assert.deepEqual(await second.stop(), { code: 0, signal: null });
    const after = readStore(databasePath);
    for (const job of after.jobs) {
      assert.equal(job.status, 'succeeded');
      assert.equal(job.completions, 1, `${job.id} completed ${job.completions} times`);
    }
    assert.equal(after.queueMessages, 0);
    assert.equal(after.deadLetters, 0);
  });
});

describe('bad configuration stops start-up with a message naming the problem', () => {
  const services = useServices();

  it('MAX_BATCH=abc: exit code 2, the message names MAX_BATCH, nothing listens', async () => {
    const result = await runServiceToExit({ MAX_BATCH: 'abc', DATA_DIR: '/nonexistent/unused' });
    assert.equal(result.code, 2, result.output);
    assert.match(result.output, /MAX_BATCH/);
    assert.match(result.output, /"abc"/);
    assert.doesNotMatch(result.output, /listening/i);
  });

  it('LEASE_SECONDS=0 is out of range: exit code 2 naming LEASE_SECONDS', async () => {
    const result = await runServiceToExit({ LEASE_SECONDS: '0', DATA_DIR: '/nonexistent/unused' });
    assert.equal(result.code, 2, result.output);
    assert.match(result.output, /LEASE_SECONDS/);
  });

  it('MODEL_URI pointing at a missing folder: non-zero exit, the message names the path', async () => {
    const dataDir = await services.dataDir();
    const missing = '/nonexistent/warmgen-e2e-model';
    const result = await runServiceToExit({ MODEL_URI: `file://${missing}`, DATA_DIR: dataDir });
    assert.notEqual(result.code, 0, result.output);
    assert.equal(result.signal, null, 'it exited by itself');
    assert.ok(result.output.includes(missing), result.output);
    assert.match(result.output, /does not exist/);
  });

  it('KV_CACHE_MB too small for one full-length row: exit 1, the message names KV_CACHE_MB', async () => {
    // The tiny model's full row is exactly 1 MiB (the variable's minimum); a copy whose
    // config says 2048 positions needs 2.
    const dataDir = await services.dataDir();
    const model = join(dataDir, 'model');
    await cp(await ensureModel('tiny'), model, { recursive: true });
    const configPath = join(model, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...config, n_positions: 2048 }));
    const result = await runServiceToExit({
      KV_CACHE_MB: '1',
      MODEL_URI: `file://${model}`,
      DATA_DIR: dataDir,
    });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.output,
      /KV_CACHE_MB is 1\.0 MB, too small for one row at the model's 2048 positions \(2\.0 MB\): set KV_CACHE_MB to at least 2/,
    );
  });

  it('an unknown MODEL_DTYPE stops start-up naming the variable', async () => {
    const result = await runServiceToExit({ MODEL_DTYPE: 'int3' });
    assert.equal(result.code, 2, result.output);
    assert.match(result.output, /MODEL_DTYPE must be one of fp32, q8, got "int3"/);
  });
});
