import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreClient } from '@warmgen/shared/adapters/firestore/firestore-client.ts';
import {
  FirestoreJobStore,
  type FirestoreJobStoreOptions,
} from '@warmgen/shared/adapters/firestore/firestore-job-store.ts';
import { idempotencyKeyId } from '@warmgen/shared/adapters/firestore/idempotency-key-id.ts';
import { createPubSubClient } from '@warmgen/shared/adapters/pubsub/pubsub-client.ts';
import { PubSubJobQueue } from '@warmgen/shared/adapters/pubsub/pubsub-job-queue.ts';
import {
  batchFixture,
  newJobFixture,
  resultFixture,
  t0Ms,
} from '@warmgen/shared/contract/job-fixtures.ts';
import { newBatchId } from '@warmgen/shared/domain/ids.ts';
import { uniqueName, useGcpEmulators } from './emulators/gcp-emulators.ts';

/**
 * What the contract suites cannot see: Firestore documents as stored (expireAt, key
 * documents), behaviour under concurrent workers, batches larger than one commit, and the
 * Pub/Sub adapter's publishing, closing and depth. Against the emulators.
 */
const emulators = useGcpEmulators();
const retentionDays = 7;
const dayMs = 86_400_000;

/** A store on fresh collections, plus a second client to read its documents raw. */
async function openStore(options: Partial<FirestoreJobStoreOptions> = {}) {
  const { projectId, firestoreHost } = await emulators();
  const connect = () =>
    createFirestoreClient({ projectId, databaseId: '(default)', emulatorHost: firestoreHost });
  const prefix = `${uniqueName('a')}-`;
  const store = new FirestoreJobStore(connect(), {
    collectionPrefix: prefix,
    retentionDays,
    ...options,
  });
  const raw: Firestore = connect();
  const doc = async (collection: string, id: string) =>
    (await raw.collection(`${prefix}${collection}`).doc(id).get()).data();
  return {
    store,
    raw,
    prefix,
    doc,
    [Symbol.asyncDispose]: async () => {
      await store.close();
      await raw.terminate();
    },
  };
}

describe('FirestoreJobStore on the emulator', () => {
  it('sets expireAt on terminal jobs only: finish time plus retention', async () => {
    await using s = await openStore();
    const [done, failed, canceled, running, queued] = await s.store.createJobs(
      Array.from({ length: 5 }, () => newJobFixture()),
    );
    await s.store.claimJob({ id: done!.id, workerId: 'w', leaseMs: 60_000, nowMs: t0Ms });
    await s.store.completeJob({
      id: done!.id,
      workerId: 'w',
      result: resultFixture,
      nowMs: t0Ms + 10,
    });
    await s.store.failJob({ id: failed!.id, error: { code: 'x', message: 'y' }, nowMs: t0Ms + 20 });
    await s.store.requestCancel({ id: canceled!.id, nowMs: t0Ms + 30 });
    await s.store.claimJob({ id: running!.id, workerId: 'w', leaseMs: 60_000, nowMs: t0Ms });

    const expiry = async (id: string) => (await s.doc('jobs', id))?.expireAt?.toMillis();
    assert.equal(await expiry(done!.id), t0Ms + 10 + retentionDays * dayMs);
    assert.equal(await expiry(failed!.id), t0Ms + 20 + retentionDays * dayMs);
    assert.equal(await expiry(canceled!.id), t0Ms + 30 + retentionDays * dayMs);
    assert.equal(await expiry(running!.id), undefined);
    assert.equal(await expiry(queued!.id), undefined);
    assert.equal((await s.doc('jobs', queued!.id))?.publishedAtMs, null);
  });

  it('keeps an idempotency key in its own document, and frees it once its job is gone', async () => {
    await using s = await openStore();
    const first = newJobFixture({ idempotencyKey: 'tenant/42: retry me' });
    await s.store.createJobs([first]);
    const key = await s.doc('idempotency_keys', idempotencyKeyId('tenant/42: retry me'));
    assert.equal(key?.jobId, first.id);
    assert.equal(key?.expireAt.toMillis(), first.createdAtMs + retentionDays * dayMs);

    // The TTL policy deleted the job: the key names nothing and may be used again.
    await s.raw.collection(`${s.prefix}jobs`).doc(first.id).delete();
    const again = newJobFixture({ idempotencyKey: 'tenant/42: retry me' });
    const [created] = await s.store.createJobs([again]);
    assert.equal(created?.id, again.id);
    assert.equal(created?.status, 'queued');
  });

  it('concurrent submissions with one idempotency key create one job', async () => {
    await using s = await openStore();
    const attempts = Array.from({ length: 3 }, () => newJobFixture({ idempotencyKey: 'same' }));
    const results = await Promise.all(attempts.map((job) => s.store.createJobs([job])));
    const ids = new Set(results.map(([job]) => job?.id));
    assert.equal(ids.size, 1, `got ${[...ids]}`);
    assert.equal((await s.store.countJobs()).queued, 1);
  });

  it('concurrent workers: every job is completed once and the batch counts are exact', async () => {
    await using s = await openStore();
    const batchId = newBatchId();
    const jobs = Array.from({ length: 24 }, (_, i) =>
      newJobFixture({ batchId, customId: `item-${String(i).padStart(2, '0')}` }),
    );
    await s.store.createBatch({ batch: batchFixture(batchId, jobs.length), jobs });
    const workers = ['w1', 'w2', 'w3', 'w4'];
    // Every worker tries every job (as duplicate deliveries would make it), in its own order.
    const won = await Promise.all(
      workers.map(async (worker, w) => {
        const mine: string[] = [];
        const order = jobs.map((_, i) => jobs[(i * (w + 1) * 5) % jobs.length]!);
        for (const job of order) {
          if (
            await s.store.claimJob({ id: job.id, workerId: worker, leaseMs: 60_000, nowMs: t0Ms })
          ) {
            assert.ok(
              await s.store.completeJob({
                id: job.id,
                workerId: worker,
                result: resultFixture,
                nowMs: t0Ms + 1,
              }),
            );
            mine.push(job.id);
          }
        }
        return mine;
      }),
    );
    const all = won.flat();
    assert.equal(all.length, jobs.length);
    assert.equal(new Set(all).size, jobs.length, 'a job was completed twice');
    const counts = await s.store.countBatchJobs(batchId);
    assert.deepEqual(counts, { queued: 0, running: 0, succeeded: 24, failed: 0, canceled: 0 });
    for (const job of jobs) {
      assert.equal((await s.store.getJob(job.id))?.attempts, 1);
    }
  });

  it('writes a batch larger than one commit in several, the batch document last', async () => {
    await using s = await openStore({ commitLimits: { maxWritesPerCommit: 10 } });
    const batchId = newBatchId();
    const jobs = Array.from({ length: 35 }, (_, i) =>
      newJobFixture({ batchId, customId: `c${String(i).padStart(2, '0')}` }),
    );
    await s.store.createBatch({ batch: batchFixture(batchId, 35), jobs });
    assert.equal((await s.store.getBatch(batchId))?.itemCount, 35);
    const page = await s.store.listBatchJobs({ batchId, afterCustomId: 'c09', limit: 100 });
    assert.deepEqual(
      page.map((job) => job.customId),
      jobs.slice(10).map((job) => job.customId),
    );
    assert.equal((await s.store.countBatchJobs(batchId)).queued, 35);
    assert.equal(await s.store.cancelBatch({ batchId, nowMs: t0Ms }), 35);
  });

  it('a failed multi-commit batch leaves neither the batch nor its written jobs', async () => {
    await using s = await openStore({ commitLimits: { maxWritesPerCommit: 10 } });
    const [existing] = await s.store.createJobs([newJobFixture()]);
    const batchId = newBatchId();
    const jobs = Array.from({ length: 25 }, (_, i) =>
      newJobFixture({ batchId, customId: `c${String(i).padStart(2, '0')}` }),
    );
    jobs[22] = { ...jobs[22]!, id: existing!.id }; // the third commit fails: id taken
    await assert.rejects(s.store.createBatch({ batch: batchFixture(batchId, 25), jobs }));
    assert.equal(await s.store.getBatch(batchId), null);
    assert.equal(await s.store.getJob(jobs[0]!.id), null, 'the first commit was undone');
    assert.equal((await s.store.countJobs()).queued, 1);
  });

  it('refuses a batch with a repeated custom id', async () => {
    await using s = await openStore();
    const batchId = newBatchId();
    const jobs = [
      newJobFixture({ batchId, customId: 'x' }),
      newJobFixture({ batchId, customId: 'x' }),
    ];
    await assert.rejects(s.store.createBatch({ batch: batchFixture(batchId, 2), jobs }), /unique/);
    assert.equal(await s.store.getBatch(batchId), null);
  });

  it('does not sweep jobs of an unfinished batch; deletes them once abandoned', async () => {
    await using s = await openStore({ abandonedBatchGraceMs: 60_000 });
    // What a process that died between the job commits and the batch commit leaves.
    const orphanBatchJob = newJobFixture({ batchId: newBatchId(), customId: 'a' });
    const [plain] = await s.store
      .createJobs([orphanBatchJob, newJobFixture()])
      .then((created) => created.slice(1));
    assert.deepEqual(await s.store.listUnpublished({ createdBeforeMs: t0Ms + 1_000, limit: 10 }), [
      plain!.id,
    ]);
    assert.ok(await s.store.getJob(orphanBatchJob.id), 'within the grace period it stays');
    assert.deepEqual(await s.store.listUnpublished({ createdBeforeMs: t0Ms + 61_000, limit: 10 }), [
      plain!.id,
    ]);
    assert.equal(await s.store.getJob(orphanBatchJob.id), null);
  });
});

describe('PubSubJobQueue on the emulator', () => {
  async function openQueue(options: { backlog?: () => Promise<number> } = {}) {
    const { projectId, pubsubHost } = await emulators();
    const queue = await PubSubJobQueue.create(
      createPubSubClient({ projectId, emulatorHost: pubsubHost }),
      {
        topic: uniqueName('jobs'),
        subscription: uniqueName('jobs-sub'),
        deadLetterTopic: uniqueName('dead'),
        deadLetterSubscription: uniqueName('dead-sub'),
        ...options,
      },
    );
    await queue.ensureTopology({ maxAttempts: 5, ackDeadlineSeconds: 60 });
    return queue;
  }

  it('publishes a 2,000-job submission and delivers every id once', async () => {
    const queue = await openQueue();
    try {
      const ids = Array.from({ length: 2_000 }, (_, i) => `job_${i}`);
      const started = performance.now();
      await queue.publish(ids);
      const publishMs = performance.now() - started;
      const seen = new Set<string>();
      while (seen.size < ids.length) {
        const messages = await queue.pull(500, 60_000, 5_000);
        assert.ok(messages.length > 0, `stalled after ${seen.size}`);
        for (const message of messages) {
          assert.equal(seen.has(message.jobId), false, `${message.jobId} twice`);
          seen.add(message.jobId);
        }
        await Promise.all(messages.map((message) => queue.ack(message)));
      }
      console.log(`published 2,000 ids in ${publishMs.toFixed(0)} ms`);
      assert.ok(publishMs < 10_000);
    } finally {
      await queue.close();
    }
  });

  it('close() ends a waiting pull at once', async () => {
    const queue = await openQueue();
    const started = performance.now();
    const pulling = queue.pull(1, 60_000, 30_000);
    await sleep(200);
    await queue.close();
    assert.deepEqual(await pulling, []);
    assert.ok(performance.now() - started < 5_000);
  });

  it('depth() reads the backlog reader it was given', async () => {
    let backlog = 7;
    const queue = await openQueue({ backlog: async () => backlog });
    try {
      assert.equal(await queue.depth(), 7);
      backlog = 0;
      assert.equal(await queue.depth(), 0);
    } finally {
      await queue.close();
    }
  });
});
