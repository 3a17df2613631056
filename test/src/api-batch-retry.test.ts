import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { republishOrphans } from '@warmgen/shared/outbox/republish-orphans.ts';
import { completeAsWorker, type RunningApi, sendJson, startApi } from './api-test-harness.ts';

const keyA = 'wg_test_key_alpha_0123456789';
const keyB = 'wg_test_key_bravo_0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Drains the queue: the job ids published so far, each message acked. */
async function drainQueue(api: RunningApi): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const messages = await api.queue.pull(100, 60_000, 0);
    if (messages.length === 0) {
      return ids;
    }
    for (const message of messages) {
      ids.push(message.jobId);
      await api.queue.ack(message);
    }
  }
}

/** A batch of five: a, c, e succeed, b fails, d is canceled. Returns ids by custom_id. */
async function finishedBatch(api: RunningApi, headers: Record<string, string> = {}) {
  const items = ['a', 'b', 'c', 'd', 'e'].map((custom_id, seed) => ({
    custom_id,
    prompt: `prompt ${custom_id}`,
    params: { seed, max_new_tokens: 4 },
  }));
  const webhook = { url: 'https://example.com/hooks/batch' };
  const created = await sendJson(api.baseUrl, 'POST', '/v1/batches', { items, webhook }, headers);
  assert.equal(created.status, 202, JSON.stringify(created.json));
  const batchId: string = created.json.id;
  const jobs = await api.store.listBatchJobs({ batchId, afterCustomId: null, limit: 10 });
  const idOf = new Map(jobs.map((job) => [job.customId ?? '', job.id]));
  const id = (customId: string) => idOf.get(customId) ?? '';
  for (const customId of ['a', 'c', 'e']) {
    await completeAsWorker(api.store, id(customId), `text ${customId}`);
  }
  await api.store.failJob({
    id: id('b'),
    error: { code: 'boom', message: 'x' },
    nowMs: Date.now(),
  });
  await api.store.requestCancel({ id: id('d'), nowMs: Date.now() });
  assert.deepEqual((await drainQueue(api)).length, 5);
  return { batchId, id };
}

describe('POST /v1/batches/{id}/retry', () => {
  it('re-queues only the failed and canceled items, once each, and the batch runs again', async () => {
    const api = await startApi();
    try {
      const { batchId, id } = await finishedBatch(api);
      const before = await sendJson(api.baseUrl, 'GET', `/v1/batches/${batchId}`);
      assert.equal(before.json.status, 'completed');
      assert.equal(before.json.retries, 0);
      // Three rows with a result, 3 prompt and 4 completion tokens each (resultFor).
      assert.deepEqual(before.json.usage, {
        prompt_tokens: 9,
        completion_tokens: 12,
        total_tokens: 21,
      });
      const firstEvent = before.json.webhook_delivery;
      assert.equal(firstEvent?.type, 'batch.completed');

      const retried = await sendJson(api.baseUrl, 'POST', `/v1/batches/${batchId}/retry`);
      assert.equal(retried.status, 202, JSON.stringify(retried.json));
      assert.equal(retried.headers.get('location'), `/v1/batches/${batchId}`);
      assert.equal(retried.json.status, 'in_progress');
      assert.equal(retried.json.retries, 1);
      assert.equal(retried.json.usage, null, 'summed again at the end');
      assert.deepEqual(retried.json.counts, {
        queued: 2,
        running: 0,
        succeeded: 3,
        failed: 0,
        canceled: 0,
      });
      assert.deepEqual((await drainQueue(api)).sort(), [id('b'), id('d')].sort(), 'each once');
      assert.deepEqual(
        await api.store.listUnpublished({ createdBeforeMs: Date.now() + 60_000, limit: 10 }),
        [],
      );

      const again = await sendJson(api.baseUrl, 'POST', `/v1/batches/${batchId}/retry`);
      assert.equal(again.status, 409);
      assert.equal(again.json.error.code, 'conflict');
      assert.match(again.json.error.message, /still running/);

      await completeAsWorker(api.store, id('b'), 'text b, second try');
      await completeAsWorker(api.store, id('d'), 'text d, second try');
      const done = await sendJson(api.baseUrl, 'GET', `/v1/batches/${batchId}`);
      assert.equal(done.json.status, 'completed');
      assert.deepEqual(done.json.counts.succeeded, 5);
      assert.deepEqual(done.json.usage, {
        prompt_tokens: 15,
        completion_tokens: 20,
        total_tokens: 35,
      });
      assert.ok(done.json.webhook_delivery, 'batch.completed again');
      assert.notEqual(done.json.webhook_delivery.event_id, firstEvent.event_id, 'a new event id');

      const lines = await fetch(`${api.baseUrl}/v1/batches/${batchId}/results?order=input`);
      const results = (await lines.text())
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.deepEqual(
        results.map((line) => [line.custom_id, line.status, line.result.usage.total_tokens]),
        ['a', 'b', 'c', 'd', 'e'].map((customId) => [customId, 'succeeded', 7]),
      );
      const nothing = await sendJson(api.baseUrl, 'POST', `/v1/batches/${batchId}/retry`);
      assert.equal(nothing.status, 409);
      assert.match(nothing.json.error.message, /no failed or canceled items/);
    } finally {
      await api.close();
    }
  });

  it('a publish that fails after the retry is written loses no row: the sweeper queues each once', async () => {
    let failPublish = false;
    const api = await startApi({
      wrapQueue: (queue) =>
        Object.assign(Object.create(queue), {
          publish: (ids: string[]) =>
            failPublish ? Promise.reject(new Error('queue down')) : queue.publish(ids),
        }),
    });
    try {
      const { batchId, id } = await finishedBatch(api);
      failPublish = true;
      const retried = await sendJson(api.baseUrl, 'POST', `/v1/batches/${batchId}/retry`);
      assert.equal(retried.status, 202, 'the retry is durable once written');
      assert.deepEqual(await drainQueue(api), [], 'nothing was published');
      const sweep = (olderThanMs: number) =>
        republishOrphans({ store: api.store, queue: api.queue, now: Date.now, olderThanMs });
      assert.equal(await sweep(60_000), 0, 'within the grace after the retry: left alone');
      assert.equal(await sweep(0), 2);
      assert.equal(await sweep(0), 0, 'marked: never published twice');
      assert.deepEqual((await drainQueue(api)).sort(), [id('b'), id('d')].sort());
    } finally {
      await api.close();
    }
  });

  it('404 for an unknown batch and for another key’s batch', async () => {
    const api = await startApi({
      auth: { mode: 'required', keyHashes: [sha256(keyA), sha256(keyB)], rateLimitPerMinute: 0 },
    });
    try {
      const { batchId } = await finishedBatch(api, bearer(keyA));
      const foreign = await sendJson(
        api.baseUrl,
        'POST',
        `/v1/batches/${batchId}/retry`,
        undefined,
        bearer(keyB),
      );
      assert.equal(foreign.status, 404);
      assert.equal(foreign.json.error.code, 'not_found');
      const unknown = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/batches/batch_missing/retry',
        undefined,
        bearer(keyA),
      );
      assert.equal(unknown.status, 404);
      const own = await sendJson(
        api.baseUrl,
        'POST',
        `/v1/batches/${batchId}/retry`,
        undefined,
        bearer(keyA),
      );
      assert.equal(own.status, 202);
    } finally {
      await api.close();
    }
  });
});
