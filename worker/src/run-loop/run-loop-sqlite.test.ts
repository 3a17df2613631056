import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteJobQueue } from '@warmgen/shared/adapters/sqlite/sqlite-job-queue.ts';
import { SqliteJobStore } from '@warmgen/shared/adapters/sqlite/sqlite-job-store.ts';
import { temporaryDatabasePath } from '@warmgen/shared/adapters/sqlite/test-database.ts';
import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { NewJob } from '@warmgen/shared/domain/job.ts';
import { RetryableJobError } from './job-errors.ts';
import { createFakeEngine, type FakeEngineOptions } from './test-support/fake-generation-engine.ts';
import { startLoop, testConfig } from './test-support/run-loop-harness.ts';

/** The real embedded adapters on one temporary database file, as the local worker runs. */
async function sqliteParts(t: test.TestContext, engineOptions: FakeEngineOptions = {}) {
  const db = temporaryDatabasePath();
  const store = SqliteJobStore.open(db.path);
  const queue = SqliteJobQueue.open(db.path, { maxAttempts: testConfig.maxAttempts });
  t.after(async () => {
    await queue.close();
    await store.close();
    db.remove();
  });
  const engine = createFakeEngine({ stepMs: 1, ...engineOptions });
  const submit = async (ids: string[], maxNewTokens = 4): Promise<void> => {
    const jobs: NewJob[] = ids.map((id) => ({
      id,
      prompt: `prompt of ${id}`,
      params: resolveGenerationParams({ max_new_tokens: maxNewTokens }),
      batchId: null,
      customId: null,
      webhook: null,
      idempotencyKey: null,
      createdAtMs: Date.now(),
    }));
    await store.createJobs(jobs);
    await queue.publish(ids);
  };
  const status = async (id: string) => (await store.getJob(id))?.status;
  return { store, queue, engine, submit, status };
}

async function waitForStatus(
  parts: Awaited<ReturnType<typeof sqliteParts>>,
  ids: string[],
  wanted: string,
): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const statuses = await Promise.all(ids.map(parts.status));
    if (statuses.every((status) => status === wanted)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${wanted}: ${statuses.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('sqlite: a micro-batch of jobs runs in one generate call and is recorded', async (t) => {
  const parts = await sqliteParts(t);
  const ids = ['s1', 's2', 's3'];
  await parts.submit(ids);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitForStatus(parts, ids, 'succeeded');
  assert.equal(parts.engine.calls.length, 1);
  const job = await parts.store.getJob('s2');
  assert.equal(job?.result?.completionTokens, 4);
  assert.equal(job?.attempts, 1);
  assert.equal(await parts.queue.depth(), 0);
  assert.deepEqual(await parts.queue.pull(10, 1_000, 0), [], 'nothing left to redeliver');
});

test('sqlite: two loops with every message published twice complete each job once', async (t) => {
  const parts = await sqliteParts(t, { stepMs: 2 });
  const ids = Array.from({ length: 10 }, (_, index) => `twice-${index}`);
  await parts.submit(ids);
  await parts.queue.publish(ids);
  const a = startLoop({ ...parts, workerId: 'worker-a', config: { maxBatch: 3 } });
  const b = startLoop({ ...parts, workerId: 'worker-b', config: { maxBatch: 3 } });
  t.after(() => Promise.all([a.loop.stop(), b.loop.stop()]));
  await waitForStatus(parts, ids, 'succeeded');
  const generated = parts.engine.calls.flat();
  // Every job generated at least once; a duplicate never generated twice, since the
  // second claim is refused while the first is running or finished.
  assert.deepEqual([...new Set(generated)].sort(), ids.map((id) => `prompt of ${id}`).sort());
  assert.equal(generated.length, ids.length);
  const succeeded = [a, b].flatMap((h) => h.logger.messages().filter((m) => m === 'job succeeded'));
  assert.equal(succeeded.length, ids.length);
});

test('sqlite: a job that keeps failing ends on the dead-letter path as failed', async (t) => {
  const parts = await sqliteParts(t, {
    failWith: () => new RetryableJobError('engine_busy', 'busy'),
  });
  await parts.submit(['dl']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitForStatus(parts, ['dl'], 'failed');
  const job = await parts.store.getJob('dl');
  assert.equal(job?.error?.code, 'max_attempts_exceeded');
  assert.equal(parts.engine.calls.length, testConfig.maxAttempts);
  assert.deepEqual(await parts.queue.pullDeadLetters(10), [], 'dead letter acked');
});

test('sqlite: cancel of a running job and release at shutdown', async (t) => {
  const parts = await sqliteParts(t, { stepMs: 5 });
  await parts.submit(['cancel-me', 'release-me'], 1_000);
  const { loop } = startLoop({ ...parts, config: { shutdownGraceMs: 150 } });
  t.after(() => loop.stop());
  await waitForStatus(parts, ['cancel-me', 'release-me'], 'running');
  await parts.store.requestCancel({ id: 'cancel-me', nowMs: Date.now() });
  await waitForStatus(parts, ['cancel-me'], 'canceled');
  await loop.stop();
  const released = await parts.store.getJob('release-me');
  assert.equal(released?.status, 'queued');
  assert.equal(released?.leaseOwner, null);
  // Nacked: deliverable again at once, to the next worker.
  const [message] = await parts.queue.pull(10, 1_000, 0);
  assert.equal(message?.jobId, 'release-me');
  assert.equal(message?.deliveryAttempt, 2);
});
