import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newBatchId } from '../domain/ids.ts';
import type { NewJob, WebhookSpec } from '../domain/job.ts';
import { maxRecordedAttempts, type WebhookAttempt } from '../domain/webhook-event.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { WebhookEventStore } from '../ports/webhook-event-store.ts';
import { batchFixture, newJobFixture, resultFixture, t0Ms } from './job-fixtures.ts';
import { describeWebhookRetryContract } from './webhook-retry-contract.ts';

export interface WebhookEventStoreHarness {
  open(): Promise<{ jobs: JobStore; events: WebhookEventStore }>;
  close(): Promise<void>;
}

const allEvents = ['generation.completed', 'generation.failed', 'generation.canceled'];
const hook = (events = allEvents): WebhookSpec => ({ url: 'https://hooks.example.test/h', events });
const leaseMs = 30_000;

/**
 * What every WebhookEventStore adapter (with its job store) must do: the terminal
 * transition records the event in the same write (the outbox), one per job and one
 * batch.completed per batch; then dispatch, claims, attempts and redelivery are conditional.
 */
export function describeWebhookEventStoreContract(name: string, harness: WebhookEventStoreHarness) {
  describe(`WebhookEventStore contract: ${name}`, () => {
    let jobs: JobStore;
    let events: WebhookEventStore;
    beforeEach(async () => {
      ({ jobs, events } = await harness.open());
    });
    afterEach(() => harness.close());

    async function runningJob(overrides: Partial<NewJob> = {}) {
      const [job] = await jobs.createJobs([newJobFixture({ webhook: hook(), ...overrides })]);
      assert.ok(job);
      assert.ok(await jobs.claimJob({ id: job.id, workerId: 'w1', leaseMs, nowMs: t0Ms + 10 }));
      return job;
    }

    describe('the outbox', () => {
      it('records generation.completed with the terminal transition, due at once', async () => {
        const job = await runningJob();
        assert.equal(await events.getEventFor(job.id), null);
        assert.ok(
          await jobs.completeJob({
            id: job.id,
            workerId: 'w1',
            result: resultFixture,
            nowMs: t0Ms + 500,
          }),
        );
        const event = await events.getEventFor(job.id);
        assert.ok(event);
        assert.match(event.id, /^evt_/);
        assert.deepEqual(
          { ...event, id: 'x' },
          {
            id: 'x',
            type: 'generation.completed',
            subjectId: job.id,
            url: 'https://hooks.example.test/h',
            createdAtMs: t0Ms + 500,
            state: 'pending',
            attempts: [],
            scheduleAttempts: 0,
            nextAttemptAtMs: t0Ms + 500,
            payload: null,
          },
        );
        assert.deepEqual(
          (await events.listUndispatched(10)).map((e) => e.id),
          [event.id],
        );
        assert.deepEqual(await events.getEvent(event.id), event);
      });

      it('records failed and canceled events, on every path to them', async () => {
        const failed = await runningJob();
        await jobs.failJob({
          id: failed.id,
          error: { code: 'x', message: 'y' },
          nowMs: t0Ms + 1,
          workerId: 'w1',
        });
        const deadLettered = await runningJob();
        await jobs.failJob({
          id: deadLettered.id,
          error: { code: 'x', message: 'y' },
          nowMs: t0Ms + 1,
        });
        const stopped = await runningJob();
        await jobs.requestCancel({ id: stopped.id, nowMs: t0Ms + 1 });
        assert.equal(await events.getEventFor(stopped.id), null, 'still running');
        await jobs.markCanceled({ id: stopped.id, workerId: 'w1', nowMs: t0Ms + 2 });
        const [queued] = await jobs.createJobs([newJobFixture({ webhook: hook() })]);
        assert.ok(queued);
        await jobs.requestCancel({ id: queued.id, nowMs: t0Ms + 3 });
        const types = await Promise.all(
          [failed, deadLettered, stopped, queued].map(
            async (j) => (await events.getEventFor(j.id))?.type,
          ),
        );
        assert.deepEqual(types, [
          'generation.failed',
          'generation.failed',
          'generation.canceled',
          'generation.canceled',
        ]);
      });

      it('records nothing without a webhook, or for an event it did not ask for', async () => {
        const plain = await runningJob({ webhook: null });
        await jobs.completeJob({
          id: plain.id,
          workerId: 'w1',
          result: resultFixture,
          nowMs: t0Ms + 1,
        });
        const onlyFailures = await runningJob({ webhook: hook(['generation.failed']) });
        await jobs.completeJob({
          id: onlyFailures.id,
          workerId: 'w1',
          result: resultFixture,
          nowMs: t0Ms + 1,
        });
        assert.equal(await events.getEventFor(plain.id), null);
        assert.equal(await events.getEventFor(onlyFailures.id), null);
        assert.deepEqual(await events.listUndispatched(10), []);
      });

      it('a released and re-claimed job still fires once, when it ends', async () => {
        const job = await runningJob();
        await jobs.releaseJob({ id: job.id, workerId: 'w1' });
        assert.ok(await jobs.claimJob({ id: job.id, workerId: 'w2', leaseMs, nowMs: t0Ms + 20 }));
        assert.equal(await events.getEventFor(job.id), null);
        await jobs.completeJob({
          id: job.id,
          workerId: 'w2',
          result: resultFixture,
          nowMs: t0Ms + 30,
        });
        assert.equal(
          await jobs.completeJob({
            id: job.id,
            workerId: 'w2',
            result: resultFixture,
            nowMs: t0Ms + 40,
          }),
          false,
        );
        assert.equal((await events.listUndispatched(10)).length, 1);
      });

      it('fires batch.completed once, when the last job of the batch ends', async () => {
        const batchId = newBatchId();
        const items = ['a', 'b', 'c'].map((customId) =>
          newJobFixture({ batchId, customId, webhook: hook(['generation.failed']) }),
        );
        await jobs.createBatch({ batch: batchFixture(batchId, items.length), jobs: items });
        const [a, b, c] = items;
        assert.ok(a && b && c);
        for (const job of [a, b]) {
          await jobs.claimJob({ id: job.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
          await jobs.completeJob({
            id: job.id,
            workerId: 'w1',
            result: resultFixture,
            nowMs: t0Ms + 5,
          });
        }
        await events.recordBatchCompletions(t0Ms + 6);
        assert.equal(await events.getEventFor(batchId), null);
        await jobs.claimJob({ id: c.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
        await jobs.failJob({
          id: c.id,
          error: { code: 'x', message: 'y' },
          nowMs: t0Ms + 9,
          workerId: 'w1',
        });
        await events.recordBatchCompletions(t0Ms + 10);
        await events.recordBatchCompletions(t0Ms + 11);
        const event = await events.getEventFor(batchId);
        assert.equal(event?.type, 'batch.completed');
        assert.equal(event?.url, 'https://example.test/hook');
        assert.equal(event?.createdAtMs, t0Ms + 9);
        // The items asked for generation.failed only: c's event and the batch's.
        assert.equal((await events.getEventFor(c.id))?.type, 'generation.failed');
        assert.equal((await events.listUndispatched(10)).length, 2);
      });

      it('a batch canceled while queued completes once, with its last job', async () => {
        const batchId = newBatchId();
        const items = ['a', 'b', 'c'].map((customId) => newJobFixture({ batchId, customId }));
        await jobs.createBatch({ batch: batchFixture(batchId, items.length), jobs: items });
        await jobs.claimJob({ id: items[0]?.id ?? '', workerId: 'w1', leaseMs, nowMs: t0Ms });
        await jobs.cancelBatch({ batchId, nowMs: t0Ms + 1 });
        await events.recordBatchCompletions(t0Ms + 1);
        assert.equal(await events.getEventFor(batchId), null, 'one job still running');
        await jobs.markCanceled({ id: items[0]?.id ?? '', workerId: 'w1', nowMs: t0Ms + 2 });
        await events.recordBatchCompletions(t0Ms + 3);
        assert.equal((await events.getEventFor(batchId))?.type, 'batch.completed');
        assert.equal((await events.listUndispatched(10)).length, 1);
      });
    });

    describe('batch retries', () => describeWebhookRetryContract(() => ({ jobs, events })));

    describe('dispatch, attempts and redelivery', () => {
      async function dueEvent() {
        const job = await runningJob();
        await jobs.completeJob({
          id: job.id,
          workerId: 'w1',
          result: resultFixture,
          nowMs: t0Ms + 100,
        });
        const event = await events.getEventFor(job.id);
        assert.ok(event);
        return event;
      }
      const attempt = (n: number, statusCode: number | null = 500): WebhookAttempt => ({
        atMs: t0Ms + 1_000 + n,
        statusCode,
        latencyMs: 12,
        error: statusCode === 200 ? null : `HTTP ${statusCode}`,
      });

      it('fixes the payload once and leaves the outbox', async () => {
        const event = await dueEvent();
        await events.markDispatched(event.id, '{"first":true}', t0Ms + 200);
        await events.markDispatched(event.id, '{"second":true}', t0Ms + 300);
        assert.deepEqual(await events.listUndispatched(10), []);
        assert.equal((await events.getEvent(event.id))?.payload, '{"first":true}');
      });

      it('claims only a due, pending event nobody holds; the lease expires', async () => {
        const event = await dueEvent();
        assert.equal(
          await events.claimAttempt(event.id, 'd1', leaseMs, t0Ms + 99),
          null,
          'not due',
        );
        assert.ok(await events.claimAttempt(event.id, 'd1', leaseMs, t0Ms + 100));
        assert.equal(await events.claimAttempt(event.id, 'd2', leaseMs, t0Ms + 101), null);
        const later = t0Ms + 100 + leaseMs;
        assert.ok(await events.claimAttempt(event.id, 'd2', leaseMs, later), 'after the lease');
        assert.equal(
          await events.finishAttempt(event.id, 'd1', attempt(1), {
            state: 'delivered',
            nextAttemptAtMs: null,
          }),
          false,
          'd1 lost its claim',
        );
        assert.equal(await events.claimAttempt('evt_missing', 'd1', leaseMs, later), null);
      });

      it('records each attempt and what follows it', async () => {
        const event = await dueEvent();
        await events.claimAttempt(event.id, 'd1', leaseMs, t0Ms + 100);
        assert.ok(
          await events.finishAttempt(event.id, 'd1', attempt(1), {
            state: 'pending',
            nextAttemptAtMs: t0Ms + 5_000,
          }),
        );
        let read = await events.getEvent(event.id);
        assert.equal(read?.state, 'pending');
        assert.equal(read?.nextAttemptAtMs, t0Ms + 5_000);
        assert.equal(read?.scheduleAttempts, 1);
        assert.equal(await events.claimAttempt(event.id, 'd1', leaseMs, t0Ms + 4_999), null);
        await events.claimAttempt(event.id, 'd2', leaseMs, t0Ms + 5_000);
        await events.finishAttempt(event.id, 'd2', attempt(2, 200), {
          state: 'delivered',
          nextAttemptAtMs: null,
        });
        read = await events.getEvent(event.id);
        assert.equal(read?.state, 'delivered');
        assert.equal(read?.nextAttemptAtMs, null);
        assert.deepEqual(read?.attempts, [attempt(1), attempt(2, 200)]);
        assert.equal(await events.claimAttempt(event.id, 'd3', leaseMs, t0Ms + 9_999_999), null);
      });

      it(`keeps the last ${maxRecordedAttempts} attempts`, async () => {
        const event = await dueEvent();
        for (let n = 0; n < maxRecordedAttempts + 3; n += 1) {
          await events.claimAttempt(event.id, 'd1', leaseMs, t0Ms + 100);
          await events.finishAttempt(event.id, 'd1', attempt(n), {
            state: 'pending',
            nextAttemptAtMs: t0Ms + 100,
          });
        }
        const read = await events.getEvent(event.id);
        assert.equal(read?.attempts.length, maxRecordedAttempts);
        assert.deepEqual(read?.attempts.at(-1), attempt(maxRecordedAttempts + 2));
        assert.equal(read?.scheduleAttempts, maxRecordedAttempts + 3);
      });

      it('redelivery restarts the schedule, due now, back in the outbox', async () => {
        const event = await dueEvent();
        await events.markDispatched(event.id, '{}', t0Ms + 100);
        await events.claimAttempt(event.id, 'd1', leaseMs, t0Ms + 100);
        assert.deepEqual(await events.redeliver(event.subjectId, t0Ms + 101), {
          event: await events.getEvent(event.id),
          restarted: false,
        });
        await events.finishAttempt(event.id, 'd1', attempt(1), {
          state: 'failed',
          nextAttemptAtMs: null,
        });
        const result = await events.redeliver(event.subjectId, t0Ms + 200);
        assert.equal(result?.restarted, true);
        assert.equal(result?.event.state, 'pending');
        assert.equal(result?.event.scheduleAttempts, 0);
        assert.equal(result?.event.nextAttemptAtMs, t0Ms + 200);
        assert.equal(result?.event.attempts.length, 1, 'history is kept');
        assert.equal(result?.event.payload, '{}', 'the same body');
        assert.deepEqual(
          (await events.listUndispatched(5)).map((e) => e.id),
          [event.id],
        );
        assert.equal(await events.redeliver('job_missing', t0Ms), null);
      });

      it('lists as stale only pending events nobody picked up long after they were due', async () => {
        const event = await dueEvent();
        const stale = 60_000;
        assert.deepEqual(await events.listStale(t0Ms + 10 * stale, stale, 10), [], 'undispatched');
        await events.markDispatched(event.id, '{}', t0Ms + 100);
        assert.deepEqual(await events.listStale(t0Ms + 100 + stale - 1, stale, 10), []);
        const now = t0Ms + 100 + stale;
        assert.deepEqual(
          (await events.listStale(now, stale, 10)).map((e) => e.id),
          [event.id],
        );
        await events.claimAttempt(event.id, 'd1', leaseMs, now);
        assert.deepEqual(await events.listStale(now, stale, 10), [], 'being attempted');
      });
    });
  });
}
