import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ListUnpublished, MarkPublished } from '../ports/job-store.ts';
import { startOrphanSweeper } from './orphan-sweeper.ts';
import { republishOrphans } from './republish-orphans.ts';

/** A plain-object store holding only what the sweeper reads and writes. */
function fakeStore(jobs: { id: string; createdAtMs: number }[]) {
  const published = new Map<string, number>();
  const listCalls: { createdBeforeMs: number; limit: number }[] = [];
  return {
    published,
    listCalls,
    async listUnpublished({ createdBeforeMs, limit }: ListUnpublished) {
      listCalls.push({ createdBeforeMs, limit });
      return jobs
        .filter((job) => !published.has(job.id) && job.createdAtMs <= createdBeforeMs)
        .sort((a, b) => a.createdAtMs - b.createdAtMs)
        .slice(0, limit)
        .map((job) => job.id);
    },
    async markPublished({ ids, nowMs }: MarkPublished) {
      for (const id of ids) {
        published.set(id, nowMs);
      }
    },
  };
}

function fakeQueue(failures = 0) {
  let left = failures;
  const batches: string[][] = [];
  return {
    batches,
    async publish(ids: string[]) {
      if (left > 0) {
        left -= 1;
        throw new Error('publish: unavailable');
      }
      batches.push([...ids]);
    },
  };
}

const jobsAt = (...times: number[]) => times.map((t, i) => ({ id: `job_${i}`, createdAtMs: t }));

describe('republishOrphans', () => {
  it('publishes and marks only jobs older than olderThanMs', async () => {
    const store = fakeStore(jobsAt(1_000, 5_000, 9_500));
    const queue = fakeQueue();
    const count = await republishOrphans({ store, queue, now: () => 10_000, olderThanMs: 1_000 });
    assert.equal(count, 2);
    assert.deepEqual(queue.batches, [['job_0', 'job_1']]);
    assert.deepEqual([...store.published.keys()], ['job_0', 'job_1']);
    assert.equal(store.listCalls[0]?.createdBeforeMs, 9_000);
  });

  it('works through the orphans a page at a time, up to maxPerPass', async () => {
    const store = fakeStore(jobsAt(1, 2, 3, 4, 5));
    const queue = fakeQueue();
    const options = { store, queue, now: () => 100, olderThanMs: 0, pageSize: 2 };
    assert.equal(await republishOrphans({ ...options, maxPerPass: 3 }), 3);
    assert.deepEqual(queue.batches, [['job_0', 'job_1'], ['job_2']]);
    assert.equal(await republishOrphans(options), 2);
    assert.deepEqual(queue.batches.at(-1), ['job_3', 'job_4']);
    assert.equal(await republishOrphans(options), 0);
    assert.equal(queue.batches.length, 3, 'nothing left: no publish call');
  });

  it('marks nothing when the publish fails, so the next pass tries again', async () => {
    const store = fakeStore(jobsAt(1));
    const queue = fakeQueue(1);
    const options = { store, queue, now: () => 100, olderThanMs: 0 };
    await assert.rejects(republishOrphans(options), /unavailable/);
    assert.equal(store.published.size, 0);
    assert.equal(await republishOrphans(options), 1);
    assert.deepEqual(queue.batches, [['job_0']]);
  });
});

describe('startOrphanSweeper', () => {
  it('sweeps at start-up and then every interval, reporting errors without stopping', async () => {
    const jobs = jobsAt(1);
    const store = fakeStore(jobs);
    const queue = fakeQueue(1);
    const errors: unknown[] = [];
    const republished: number[] = [];
    const sweeper = startOrphanSweeper({
      store,
      queue,
      now: () => 100,
      olderThanMs: 0,
      intervalMs: 30,
      onError: (error) => errors.push(error),
      onRepublished: (count) => republished.push(count),
    });
    await sleep(10);
    assert.equal(errors.length, 1, 'the start-up pass ran at once and failed');
    await sleep(100);
    assert.deepEqual(republished, [1], 'a later pass published the orphan');
    jobs.push({ id: 'job_late', createdAtMs: 50 });
    await sleep(100);
    assert.deepEqual(republished, [1, 1]);
    await sweeper.stop();
    const passes = store.listCalls.length;
    jobs.push({ id: 'job_after_stop', createdAtMs: 60 });
    await sleep(100);
    assert.equal(store.listCalls.length, passes, 'no pass after stop()');
    assert.equal(store.published.has('job_after_stop'), false);
  });

  it('stop() waits for the pass in progress', async () => {
    let finished = false;
    const sweeper = startOrphanSweeper({
      store: {
        listUnpublished: async () => {
          await sleep(50);
          finished = true;
          return [];
        },
        markPublished: async () => {},
      },
      queue: { publish: async () => {} },
      now: () => 0,
      olderThanMs: 0,
      intervalMs: 1_000,
      onError: (error) => assert.fail(String(error)),
    });
    await sweeper.stop();
    assert.equal(finished, true);
  });
});
