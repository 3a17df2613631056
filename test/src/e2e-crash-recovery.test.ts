import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddedDatabasePath } from '@warmgen/shared/adapters/sqlite/open-database.ts';
import {
  mapConcurrently,
  submitBatch,
  submitJob,
  waitForBatch,
  waitForJob,
} from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import { installCompletionCounter, readStore, type StoreSnapshot } from './e2e/store-inspection.ts';

/** The default lease (10 s): the jobs the killed process held must run again within 15 s. */
const env = { MAX_BATCH: '8' };
const input = { prompt: 'After the crash,', params: { max_new_tokens: 24, seed: 2024 } };

describe('kill -9 mid-run, then a restart on the same DATA_DIR', () => {
  const services = useServices();

  it('completes every accepted job, each exactly once in the store', async () => {
    const dataDir = await services.dataDir();
    const databasePath = embeddedDatabasePath(dataDir);
    installCompletionCounter(databasePath);

    const first = await services.start({ dataDir, env });
    const singles = await mapConcurrently(Array.from({ length: 40 }), 10, () =>
      submitJob(first.baseUrl, input),
    );
    const batch = await submitBatch(
      first.baseUrl,
      Array.from({ length: 20 }, (_, i) => ({ custom_id: `c${i}`, ...input })),
    );

    // Kill once some jobs are done and others are held by the worker.
    await waitForStore(databasePath, (s) => count(s, 'succeeded') >= 8 && count(s, 'running') >= 1);
    const killed = await first.kill();
    const killedAtMs = Date.now();
    assert.equal(killed.signal, 'SIGKILL');
    const atCrash = readStore(databasePath);
    const runningAtCrash = atCrash.jobs.filter((job) => job.status === 'running');
    const doneAtCrash = atCrash.jobs.filter((job) => job.status === 'succeeded');
    assert.equal(atCrash.jobs.length, 60);
    assert.ok(runningAtCrash.length >= 1, 'some jobs were running when the process died');
    assert.ok(count(atCrash, 'queued') >= 1, 'some jobs were still waiting');

    const second = await services.start({ dataDir, env });
    const held = new Set(runningAtCrash.map((job) => job.id));
    await waitForStore(
      databasePath,
      (s) => s.jobs.filter((job) => held.has(job.id) && job.attempts >= 2).length === held.size,
    );
    const backAfterMs = Date.now() - killedAtMs;
    assert.ok(backAfterMs <= 15_000, `the killed worker's jobs ran again ${backAfterMs} ms later`);
    const finished = await mapConcurrently(singles, 10, (job) =>
      waitForJob(second.baseUrl, job.id, 120_000),
    );
    assert.ok(finished.every((job) => job.status === 'succeeded'));
    const batchDone = await waitForBatch(second.baseUrl, batch.id, 120_000);
    assert.equal(batchDone.counts.succeeded, 20);
    const stopped = await second.stop();
    assert.deepEqual(stopped, { code: 0, signal: null });

    const after = readStore(databasePath);
    assert.equal(after.jobs.length, 60);
    for (const job of after.jobs) {
      assert.equal(job.status, 'succeeded', job.id);
      assert.equal(job.completions, 1, `${job.id} was completed ${job.completions} times`);
    }
    for (const job of runningAtCrash) {
      const now = after.jobs.find((j) => j.id === job.id);
      assert.ok(
        now && now.attempts >= 2,
        `${job.id} was claimed again (attempts ${now?.attempts})`,
      );
    }
    for (const job of doneAtCrash) {
      const now = after.jobs.find((j) => j.id === job.id);
      assert.equal(now?.attempts, job.attempts, `${job.id} finished before the crash: not rerun`);
      assert.equal(now?.text, job.text);
    }
    // Same prompt and seed everywhere: a rerun after the crash produced the same text.
    const texts = new Set(after.jobs.map((job) => job.text));
    assert.equal(texts.size, 1, `texts differ: ${[...texts].join(' | ')}`);
    assert.equal(after.queueMessages, 0, 'the queue is empty');
    assert.equal(after.deadLetters, 0, 'nothing was dead-lettered');
  });
});

function count(snapshot: StoreSnapshot, status: string): number {
  return snapshot.jobs.filter((job) => job.status === status).length;
}

async function waitForStore(
  databasePath: string,
  predicate: (snapshot: StoreSnapshot) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(readStore(databasePath))) {
    if (Date.now() > deadline) {
      throw new Error('the store never reached the awaited state');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
