import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  completeAsWorker,
  type RunningApi,
  rawRequest,
  sendJson,
  startApi,
} from './api-test-harness.ts';

/** custom_ids in an order that is neither sorted nor reverse-sorted. */
const shuffledIds = ['k', 'c', 'j', 'a', 'f', 'i', 'b', 'e', 'h', 'd'];

async function results(api: RunningApi, batchId: string, query = '') {
  const response = await rawRequest(api.baseUrl, {
    method: 'GET',
    path: `/v1/batches/${batchId}/results${query}`,
  });
  assert.equal(response.status, 200, response.text);
  assert.match(String(response.headers['content-type']), /^application\/jsonl/);
  assert.ok(response.text.endsWith('\n'));
  return response.text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('batches', () => {
  it('accepts a JSON batch, counts by status, and streams results in custom_id order across pages', async () => {
    const api = await startApi({ tuning: { resultsPageSize: 3, publishChunkSize: 4 } });
    try {
      const items = shuffledIds.map((id, i) => ({
        custom_id: id,
        prompt: `prompt ${id}`,
        params: { seed: i },
      }));
      const webhook = { url: 'https://example.com/hooks/batch' };
      const created = await sendJson(api.baseUrl, 'POST', '/v1/batches', { items, webhook });
      assert.equal(created.status, 202);
      assert.match(created.json.id, /^batch_/);
      assert.equal(created.json.status, 'in_progress');
      assert.equal(created.json.total, 10);
      assert.equal(created.json.counts.queued, 10);
      assert.deepEqual(created.json.webhook, { url: webhook.url, events: ['batch.completed'] });
      assert.equal(created.headers.get('location'), `/v1/batches/${created.json.id}`);
      // Published in chunks of 4: every job is on the queue once.
      assert.equal(await api.queue.depth(), 10);

      const firstPage = await api.store.listBatchJobs({
        batchId: created.json.id,
        afterCustomId: null,
        limit: 100,
      });
      const jobIdOf = new Map(firstPage.map((job) => [job.customId, job.id]));
      for (const customId of ['a', 'd', 'k']) {
        await completeAsWorker(api.store, jobIdOf.get(customId) ?? '', `text ${customId}`);
      }
      await api.store.failJob({
        id: jobIdOf.get('b') ?? '',
        error: { code: 'boom', message: 'it broke' },
        nowMs: Date.now(),
      });

      const status = await sendJson(api.baseUrl, 'GET', `/v1/batches/${created.json.id}`);
      assert.equal(status.status, 200);
      assert.deepEqual(status.json.counts, {
        queued: 6,
        running: 0,
        succeeded: 3,
        failed: 1,
        canceled: 0,
      });
      assert.equal(status.json.status, 'in_progress');

      const lines = await results(api, created.json.id);
      assert.deepEqual(
        lines.map((line) => line.custom_id),
        [...shuffledIds].sort(),
      );
      const byId = new Map(lines.map((line) => [line.custom_id, line]));
      assert.deepEqual(Object.keys(byId.get('a')), [
        'custom_id',
        'id',
        'status',
        'result',
        'error',
      ]);
      assert.equal(byId.get('a').id, jobIdOf.get('a'));
      assert.equal(byId.get('a').status, 'succeeded');
      assert.equal(byId.get('a').result.text, 'text a');
      assert.equal(byId.get('b').status, 'failed');
      assert.deepEqual(byId.get('b').error, { code: 'boom', message: 'it broke' });
      assert.equal(byId.get('c').status, 'queued');
      assert.equal(byId.get('c').result, null);

      // Everything finished: the batch is completed.
      for (const job of firstPage.filter((j) => !['a', 'b', 'd', 'k'].includes(j.customId ?? ''))) {
        await completeAsWorker(api.store, job.id, 'late');
      }
      const done = await sendJson(api.baseUrl, 'GET', `/v1/batches/${created.json.id}`);
      assert.equal(done.json.status, 'completed');
      assert.equal(done.json.counts.succeeded, 9);
    } finally {
      await api.close();
    }
  });

  it('?order=input streams results in submission order across pages, readable while the batch runs', async () => {
    const api = await startApi({ tuning: { resultsPageSize: 3 } });
    try {
      const items = shuffledIds.map((id) => ({ custom_id: id, prompt: `prompt ${id}` }));
      const created = await sendJson(api.baseUrl, 'POST', '/v1/batches', { items });
      const jsonl = shuffledIds.map((id) => JSON.stringify({ custom_id: id, prompt: id }));
      const uploaded = await rawRequest(api.baseUrl, {
        method: 'POST',
        path: '/v1/batches',
        headers: { 'content-type': 'application/jsonl' },
        body: `${jsonl.toReversed().join('\n')}\n`,
      });
      assert.equal(uploaded.status, 202, uploaded.text);
      const [first] = await api.store.listBatchJobsInInputOrder({
        batchId: created.json.id,
        afterInputIndex: null,
        limit: 1,
      });
      assert.equal(first?.customId, 'k');
      await completeAsWorker(api.store, first?.id ?? '', 'done early');

      const inOrder = await results(api, created.json.id, '?order=input');
      assert.deepEqual(
        inOrder.map((line) => line.custom_id),
        shuffledIds,
      );
      assert.equal(inOrder[0].status, 'succeeded');
      assert.equal(inOrder[0].result.text, 'done early');
      assert.equal(inOrder[1].status, 'queued', 'the rest still queued: results while running');
      const sorted = await results(api, created.json.id, '?order=custom_id');
      assert.deepEqual(
        sorted.map((line) => line.custom_id),
        [...shuffledIds].sort(),
      );
      const lineOrder = await results(api, JSON.parse(uploaded.text).id, '?order=input');
      assert.deepEqual(
        lineOrder.map((line) => line.custom_id),
        shuffledIds.toReversed(),
        'a JSONL upload keeps its line order',
      );

      const bad = await sendJson(
        api.baseUrl,
        'GET',
        `/v1/batches/${created.json.id}/results?order=random`,
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.details[0].field, 'querystring/order');
    } finally {
      await api.close();
    }
  });

  it('streams results whose count is an exact multiple of the page size', async () => {
    const api = await startApi({ tuning: { resultsPageSize: 5 } });
    try {
      const items = shuffledIds.map((id) => ({ custom_id: id, prompt: id }));
      const created = await sendJson(api.baseUrl, 'POST', '/v1/batches', { items });
      const lines = await results(api, created.json.id);
      assert.equal(lines.length, 10);
      assert.equal(new Set(lines.map((line) => line.id)).size, 10);
    } finally {
      await api.close();
    }
  });

  it('accepts a JSONL upload (blank lines and CRLF ignored) with its webhook in the query', async () => {
    const api = await startApi();
    try {
      const body =
        '{"custom_id":"b","prompt":"second"}\r\n\n{"custom_id":"a","prompt":"first","params":{"top_k":40}}\n';
      const path =
        '/v1/batches?webhook_url=https%3A%2F%2Fexample.com%2Fh&webhook_events=batch.completed,generation.failed';
      const response = await rawRequest(api.baseUrl, {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      assert.equal(response.status, 202, response.text);
      const created = JSON.parse(response.text);
      assert.equal(created.total, 2);
      assert.deepEqual(created.webhook, {
        url: 'https://example.com/h',
        events: ['batch.completed', 'generation.failed'],
      });
      const jobs = await api.store.listBatchJobs({
        batchId: created.id,
        afterCustomId: null,
        limit: 10,
      });
      assert.deepEqual(
        jobs.map((job) => [job.customId, job.prompt, job.params.top_k]),
        [
          ['a', 'first', 40],
          ['b', 'second', 0],
        ],
      );
    } finally {
      await api.close();
    }
  });

  it('cancels a batch: queued jobs at once, running ones flagged; a second cancel after the end is a 409', async () => {
    const api = await startApi();
    try {
      const items = ['x', 'y', 'z'].map((id) => ({ custom_id: id, prompt: id }));
      const created = await sendJson(api.baseUrl, 'POST', '/v1/batches', { items });
      const jobs = await api.store.listBatchJobs({
        batchId: created.json.id,
        afterCustomId: null,
        limit: 10,
      });
      const [first, second] = jobs;
      assert.ok(first && second);
      await completeAsWorker(api.store, first.id, 'done');
      assert.ok(
        await api.store.claimJob({
          id: second.id,
          workerId: 'w',
          leaseMs: 60_000,
          nowMs: Date.now(),
        }),
      );

      const canceled = await sendJson(api.baseUrl, 'POST', `/v1/batches/${created.json.id}/cancel`);
      assert.equal(canceled.status, 200);
      assert.equal(canceled.json.status, 'canceling');
      assert.deepEqual(canceled.json.counts, {
        queued: 0,
        running: 1,
        succeeded: 1,
        failed: 0,
        canceled: 1,
      });

      assert.ok(await api.store.markCanceled({ id: second.id, workerId: 'w', nowMs: Date.now() }));
      const after = await sendJson(api.baseUrl, 'GET', `/v1/batches/${created.json.id}`);
      assert.equal(after.json.status, 'canceled');
      assert.equal(after.json.cancel_requested, true);

      const again = await sendJson(api.baseUrl, 'POST', `/v1/batches/${created.json.id}/cancel`);
      assert.equal(again.status, 409);
      assert.equal(again.json.error.code, 'conflict');
    } finally {
      await api.close();
    }
  });

  it('takes a batch of MAX_BATCH_ITEMS (10,000) in one request', async () => {
    const api = await startApi();
    try {
      const items = Array.from({ length: 10_000 }, (_, i) => ({
        custom_id: `item-${String(i).padStart(5, '0')}`,
        prompt: `Prompt number ${i}`,
      }));
      const started = performance.now();
      const created = await sendJson(api.baseUrl, 'POST', '/v1/batches', { items });
      const elapsedMs = performance.now() - started;
      assert.equal(created.status, 202);
      assert.equal(created.json.total, 10_000);
      assert.equal((await api.store.countBatchJobs(created.json.id)).queued, 10_000);
      assert.equal(await api.queue.depth(), 10_000);
      const lines = await results(api, created.json.id);
      assert.equal(lines.length, 10_000);
      assert.equal(lines[0].custom_id, 'item-00000');
      assert.equal(lines.at(-1).custom_id, 'item-09999');
      assert.ok(elapsedMs < 15_000, `took ${elapsedMs} ms`);
    } finally {
      await api.close();
    }
  });
});
