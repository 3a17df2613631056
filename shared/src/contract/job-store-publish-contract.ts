import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newBatchId } from '../domain/ids.ts';
import type { JobStore } from '../ports/job-store.ts';
import { batchFixture, newJobFixture, t0Ms } from './job-fixtures.ts';

/**
 * The outbox marks: every new job is unpublished until markPublished (or a claim) says
 * its message went out; listUnpublished finds the queued ones the sweeper must publish.
 */
export function describePublishMarkContract(getStore: () => JobStore): void {
  it('lists new jobs, created at or before the cutoff, oldest first', async () => {
    const store = getStore();
    const [late, early, middle] = await store.createJobs([
      newJobFixture({ createdAtMs: t0Ms + 2 }),
      newJobFixture({ createdAtMs: t0Ms }),
      newJobFixture({ createdAtMs: t0Ms + 1 }),
    ]);
    const batchId = newBatchId();
    const batchJob = newJobFixture({ batchId, customId: 'a', createdAtMs: t0Ms + 1 });
    await store.createBatch({ batch: batchFixture(batchId, 1), jobs: [batchJob] });

    assert.deepEqual(await store.listUnpublished({ createdBeforeMs: t0Ms - 1, limit: 10 }), []);
    const upToMiddle = await store.listUnpublished({ createdBeforeMs: t0Ms + 1, limit: 10 });
    assert.equal(upToMiddle[0], early?.id);
    assert.deepEqual(upToMiddle.slice(1).sort(), [middle?.id, batchJob.id].sort());
    const all = await store.listUnpublished({ createdBeforeMs: t0Ms + 2, limit: 10 });
    assert.equal(all.length, 4);
    assert.equal(all.at(-1), late?.id);
    assert.deepEqual(
      await store.listUnpublished({ createdBeforeMs: t0Ms + 2, limit: 2 }),
      all.slice(0, 2),
    );
  });

  it('markPublished takes jobs off the list and ignores unknown ids', async () => {
    const store = getStore();
    const [a, b] = await store.createJobs([newJobFixture(), newJobFixture()]);
    await store.markPublished({ ids: [a!.id, 'job_missing'], nowMs: t0Ms + 5 });
    assert.deepEqual(await store.listUnpublished({ createdBeforeMs: t0Ms + 10, limit: 10 }), [
      b!.id,
    ]);
    assert.equal(await store.getJob('job_missing'), null);
    await store.markPublished({ ids: [], nowMs: t0Ms + 6 });
    await store.markPublished({ ids: [b!.id, b!.id], nowMs: t0Ms + 6 });
    assert.deepEqual(await store.listUnpublished({ createdBeforeMs: t0Ms + 10, limit: 10 }), []);
  });

  it('lists only queued jobs; a claim counts as published, even after a release', async () => {
    const store = getStore();
    const [queued, claimed, canceled, failed] = await store.createJobs([
      newJobFixture(),
      newJobFixture(),
      newJobFixture(),
      newJobFixture(),
    ]);
    await store.claimJob({ id: claimed!.id, workerId: 'w', leaseMs: 30_000, nowMs: t0Ms });
    await store.requestCancel({ id: canceled!.id, nowMs: t0Ms });
    await store.failJob({ id: failed!.id, error: { code: 'x', message: 'y' }, nowMs: t0Ms });
    assert.deepEqual(await store.listUnpublished({ createdBeforeMs: t0Ms + 10, limit: 10 }), [
      queued!.id,
    ]);
    await store.releaseJob({ id: claimed!.id, workerId: 'w' });
    assert.deepEqual(await store.listUnpublished({ createdBeforeMs: t0Ms + 10, limit: 10 }), [
      queued!.id,
    ]);
  });
}
