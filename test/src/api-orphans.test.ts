import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { republishOrphans } from '@warmgen/shared/outbox/republish-orphans.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import { sendJson, startApi } from './api-test-harness.ts';

/** A queue whose next `failures` publishes throw, as a Pub/Sub outage would. */
function failingPublishes(failures: number) {
  return (queue: JobQueue): JobQueue => {
    let left = failures;
    return Object.assign(Object.create(queue) as JobQueue, {
      publish: async (ids: string[]) => {
        if (left > 0) {
          left -= 1;
          throw new Error('injected publish failure');
        }
        return queue.publish(ids);
      },
    });
  };
}

describe('a publish that fails after the job was recorded', () => {
  it('still accepts the job, and the orphan sweep queues it exactly once', async () => {
    const api = await startApi({ wrapQueue: failingPublishes(1) });
    try {
      const created = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'Hi' });
      assert.equal(created.status, 202);
      assert.equal(await api.queue.depth(), 0, 'nothing queued yet');
      const second = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'Yo' });
      assert.equal(await api.queue.depth(), 1, 'the next publish works and is marked');

      const swept = await republishOrphans({
        store: api.store,
        queue: api.queue,
        now: () => Date.now() + 60_000,
        olderThanMs: 30_000,
      });
      assert.equal(swept, 1);
      const messages = await api.queue.pull(10, 60_000, 0);
      assert.deepEqual(
        messages.map((m) => m.jobId).sort(),
        [created.json.id, second.json.id].sort(),
      );
      const again = await republishOrphans({
        store: api.store,
        queue: api.queue,
        now: () => Date.now() + 60_000,
        olderThanMs: 30_000,
      });
      assert.equal(again, 0, 'a swept job is marked published');
    } finally {
      await api.close();
    }
  });

  it('accepts a batch whose publish fails; the sweep queues every item', async () => {
    const api = await startApi({ wrapQueue: failingPublishes(1), tuning: { publishChunkSize: 2 } });
    try {
      const items = ['a', 'b', 'c'].map((id) => ({ custom_id: id, prompt: `p ${id}` }));
      const created = await sendJson(api.baseUrl, 'POST', '/v1/batches', { items });
      assert.equal(created.status, 202);
      assert.equal(await api.queue.depth(), 0);
      const swept = await republishOrphans({
        store: api.store,
        queue: api.queue,
        now: () => Date.now() + 60_000,
        olderThanMs: 30_000,
      });
      assert.equal(swept, 3);
      assert.equal(await api.queue.depth(), 3);
    } finally {
      await api.close();
    }
  });
});
