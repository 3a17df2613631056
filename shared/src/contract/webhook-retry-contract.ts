import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newBatchId } from '../domain/ids.ts';
import type { WebhookSpec } from '../domain/job.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { WebhookEventStore } from '../ports/webhook-event-store.ts';
import { batchFixture, newJobFixture, resultFixture, t0Ms } from './job-fixtures.ts';

const leaseMs = 30_000;
const itemHook: WebhookSpec = {
  url: 'https://example.test/hook',
  events: ['generation.completed', 'generation.failed'],
};

/**
 * A batch retry runs rows and ends the batch again, so each run fires its own events: a
 * new batch.completed (a new id: receivers dedupe by webhook-id) and the retried rows' own
 * generation.* events, while the first run's events stay as they were. getEventFor and
 * redeliver speak of the latest.
 */
export function describeWebhookRetryContract(
  stores: () => { jobs: JobStore; events: WebhookEventStore },
): void {
  it('a retried batch fires batch.completed again at its end, and its rows their events', async () => {
    const { jobs, events } = stores();
    const batchId = newBatchId();
    const items = ['a', 'b'].map((customId) =>
      newJobFixture({ batchId, customId, webhook: itemHook }),
    );
    await jobs.createBatch({ batch: batchFixture(batchId, items.length), jobs: items });
    const [a, b] = items.map((item) => item.id) as [string, string];
    for (const id of [a, b]) {
      await jobs.claimJob({ id, workerId: 'w1', leaseMs, nowMs: t0Ms });
    }
    await jobs.completeJob({ id: a, workerId: 'w1', result: resultFixture, nowMs: t0Ms + 1 });
    await jobs.failJob({ id: b, error: { code: 'x', message: 'y' }, nowMs: t0Ms + 2 });
    await events.recordBatchCompletions(t0Ms + 3);
    const first = await events.getEventFor(batchId);
    const firstOfB = await events.getEventFor(b);
    assert.equal(first?.type, 'batch.completed');
    assert.equal(firstOfB?.type, 'generation.failed');

    assert.equal((await jobs.retryBatch({ batchId, nowMs: t0Ms + 10 })).outcome, 'retried');
    await events.recordBatchCompletions(t0Ms + 11);
    assert.equal((await events.getEventFor(batchId))?.id, first?.id, 'nothing new while it runs');

    await jobs.claimJob({ id: b, workerId: 'w1', leaseMs, nowMs: t0Ms + 12 });
    await jobs.failJob({ id: b, error: { code: 'x', message: 'again' }, nowMs: t0Ms + 13 });
    await events.recordBatchCompletions(t0Ms + 14);
    await events.recordBatchCompletions(t0Ms + 15);
    const second = await events.getEventFor(batchId);
    assert.equal(second?.type, 'batch.completed');
    assert.notEqual(second?.id, first?.id, 'a new event, with its own webhook-id');
    assert.equal(second?.createdAtMs, t0Ms + 13);
    const secondOfB = await events.getEventFor(b);
    assert.equal(secondOfB?.type, 'generation.failed', 'the same type again, for the new run');
    assert.notEqual(secondOfB?.id, firstOfB?.id);
    assert.equal((await events.getEvent(first?.id ?? ''))?.type, 'batch.completed', 'kept');
    const outbox = (await events.listUndispatched(10)).map((event) => event.id).sort();
    const all = [first, firstOfB, second, secondOfB].map((event) => event?.id ?? '');
    const aEvent = await events.getEventFor(a);
    assert.deepEqual(outbox, [...all, aEvent?.id ?? ''].sort(), 'five events, each once');

    const restarted = await events.redeliver(batchId, t0Ms + 20);
    assert.equal(restarted?.event.id, second?.id, 'redelivery sends the latest');
  });

  it('a batch retried again fires once per retry, only when its last row ends', async () => {
    const { jobs, events } = stores();
    const batchId = newBatchId();
    const [item] = [newJobFixture({ batchId, customId: 'only' })];
    assert.ok(item);
    await jobs.createBatch({ batch: batchFixture(batchId, 1), jobs: [item] });
    const seen = new Set<string>();
    for (let round = 0; round < 3; round += 1) {
      if (round > 0) {
        assert.equal(
          (await jobs.retryBatch({ batchId, nowMs: t0Ms + round * 10 })).outcome,
          'retried',
        );
      }
      await jobs.requestCancel({ id: item.id, nowMs: t0Ms + round * 10 + 1 });
      await events.recordBatchCompletions(t0Ms + round * 10 + 2);
      const event = await events.getEventFor(batchId);
      assert.ok(event && !seen.has(event.id), `round ${round} fires its own event`);
      seen.add(event.id);
    }
    assert.equal((await events.listUndispatched(10)).length, 3);
  });
}
