import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { completeAsWorker, sendJson, startApi } from './api-test-harness.ts';

describe('POST /v1/generations and GET /v1/generations/:id', () => {
  it('accepts a prompt (202, defaults applied, queued once) and returns it by id', async () => {
    const api = await startApi();
    try {
      const body = { prompt: 'Once upon a time', params: { temperature: 0.7, max_new_tokens: 12 } };
      const created = await sendJson(api.baseUrl, 'POST', '/v1/generations', body);
      assert.equal(created.status, 202);
      assert.equal(created.json.status, 'queued');
      assert.match(created.json.id, /^job_/);
      assert.equal(created.headers.get('location'), `/v1/generations/${created.json.id}`);
      assert.deepEqual(created.json.params, {
        max_new_tokens: 12,
        temperature: 0.7,
        top_k: 0,
        top_p: 1,
        repetition_penalty: 1,
        stop: [],
        seed: null,
      });
      assert.equal(await api.queue.depth(), 1);

      const fetched = await sendJson(api.baseUrl, 'GET', `/v1/generations/${created.json.id}`);
      assert.equal(fetched.status, 200);
      assert.deepEqual(fetched.json, created.json);

      await completeAsWorker(api.store, created.json.id, ' there was a cat.');
      const done = await sendJson(api.baseUrl, 'GET', `/v1/generations/${created.json.id}`);
      assert.equal(done.json.status, 'succeeded');
      assert.equal(done.json.result.text, ' there was a cat.');
      assert.deepEqual(done.json.result.usage, {
        prompt_tokens: 3,
        completion_tokens: 4,
        total_tokens: 7,
      });
      assert.equal(typeof done.json.finished_at, 'string');
    } finally {
      await api.close();
    }
  });

  it('stores the webhook with default events', async () => {
    const api = await startApi();
    try {
      const webhook = { url: 'https://example.com/hook' };
      const created = await sendJson(api.baseUrl, 'POST', '/v1/generations', {
        prompt: 'x',
        webhook,
      });
      assert.equal(created.status, 202);
      const job = await api.store.getJob(created.json.id);
      assert.deepEqual(job?.webhook, {
        url: 'https://example.com/hook',
        events: ['generation.completed', 'generation.failed', 'generation.canceled'],
      });
    } finally {
      await api.close();
    }
  });

  it('dedupes retries by Idempotency-Key and refuses the key with another body', async () => {
    const api = await startApi();
    try {
      const key = { 'idempotency-key': 'order-123' };
      const first = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'a' }, key);
      const retry = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'a' }, key);
      assert.equal(first.status, 202);
      assert.equal(retry.status, 202);
      assert.equal(retry.json.id, first.json.id);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.equal(first.headers.get('idempotent-replayed'), null);
      assert.equal((await api.store.countJobs()).queued, 1);

      const other = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'b' }, key);
      assert.equal(other.status, 409);
      assert.equal(other.json.error.code, 'idempotency_key_reused');
      assert.match(other.json.error.message, /order-123/);
      assert.ok(other.json.error.message.includes(first.json.id));

      // Once the job has finished, a retry returns the finished job with a 200.
      await completeAsWorker(api.store, first.json.id, 'done');
      const late = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'a' }, key);
      assert.equal(late.status, 200);
      assert.equal(late.json.id, first.json.id);
      assert.equal(late.json.status, 'succeeded');
      assert.equal((await api.store.countJobs()).succeeded, 1);
    } finally {
      await api.close();
    }
  });

  it('Prefer: wait returns the finished job (200) when a worker completes it in time', async () => {
    const api = await startApi();
    try {
      const pending = sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations',
        { prompt: 'hi' },
        {
          prefer: 'wait=10',
        },
      );
      const [message] = await api.queue.pull(1, 60_000, 5_000);
      assert.ok(message);
      await sleep(100);
      await completeAsWorker(api.store, message.jobId, ' there');
      const started = performance.now();
      const response = await pending;
      assert.ok(performance.now() - started < 2_000, 'answered soon after completion');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('preference-applied'), 'wait=10');
      assert.equal(response.json.id, message.jobId);
      assert.equal(response.json.result.text, ' there');
    } finally {
      await api.close();
    }
  });

  it('Prefer: wait is capped at MAX_WAIT_SECONDS and answers 202 when time runs out', async () => {
    const api = await startApi({ limits: { maxWaitSeconds: 1 } });
    try {
      const started = performance.now();
      const response = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations',
        { prompt: 'hi' },
        {
          prefer: 'respond-async, wait=600',
        },
      );
      const elapsedMs = performance.now() - started;
      assert.equal(response.status, 202);
      assert.equal(response.json.status, 'queued');
      assert.equal(response.headers.get('preference-applied'), 'wait=1');
      assert.ok(elapsedMs >= 900 && elapsedMs < 3_000, `held ${elapsedMs} ms`);
    } finally {
      await api.close();
    }
  });

  it('GET ?wait long-polls: returns as soon as the job finishes', async () => {
    const api = await startApi();
    try {
      const created = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'x' });
      const started = performance.now();
      const polling = sendJson(api.baseUrl, 'GET', `/v1/generations/${created.json.id}?wait=20`);
      await sleep(300);
      await completeAsWorker(api.store, created.json.id, 'finished');
      const response = await polling;
      const elapsedMs = performance.now() - started;
      assert.equal(response.status, 200);
      assert.equal(response.json.status, 'succeeded');
      assert.ok(elapsedMs < 2_000, `answered after ${elapsedMs} ms`);
    } finally {
      await api.close();
    }
  });

  it('GET ?wait stops reading the store when the client goes away', async () => {
    let reads = 0;
    const counting = (store: JobStore): JobStore =>
      new Proxy(store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property === 'getJob') {
            return (id: string) => {
              reads += 1;
              return target.getJob(id);
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const api = await startApi({ wrapStore: counting });
    try {
      const created = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'x' });
      const abort = new AbortController();
      const polling = fetch(`${api.baseUrl}/v1/generations/${created.json.id}?wait=30`, {
        signal: abort.signal,
      });
      await sleep(400);
      abort.abort();
      await assert.rejects(polling);
      await sleep(200);
      const readsAfterAbort = reads;
      assert.ok(readsAfterAbort >= 3, `the poll read the store (${readsAfterAbort} reads)`);
      await sleep(1_200);
      assert.equal(reads, readsAfterAbort, 'no reads after the client left');
    } finally {
      await api.close();
    }
  });

  it('close() answers open long polls at once', async () => {
    const api = await startApi();
    const created = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'x' });
    const polling = sendJson(api.baseUrl, 'GET', `/v1/generations/${created.json.id}?wait=30`);
    await sleep(200);
    const started = performance.now();
    await api.close();
    const response = await polling;
    assert.ok(performance.now() - started < 3_000);
    assert.equal(response.status, 200);
    assert.equal(response.json.status, 'queued');
  });
});

describe('POST /v1/generations/:id/cancel', () => {
  it('cancels a queued job at once, flags a running one, and refuses a finished one', async () => {
    const api = await startApi();
    try {
      const post = (prompt: string) => sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt });
      const cancel = (id: string) => sendJson(api.baseUrl, 'POST', `/v1/generations/${id}/cancel`);

      const queued = await post('queued');
      const canceled = await cancel(queued.json.id);
      assert.equal(canceled.status, 200);
      assert.equal(canceled.json.status, 'canceled');
      const again = await cancel(queued.json.id);
      assert.equal(again.status, 409);
      assert.match(again.json.error.message, /already canceled/);

      const running = await post('running');
      assert.ok(
        await api.store.claimJob({
          id: running.json.id,
          workerId: 'w',
          leaseMs: 60_000,
          nowMs: Date.now(),
        }),
      );
      const requested = await cancel(running.json.id);
      assert.equal(requested.status, 202);
      assert.equal(requested.json.status, 'running');
      assert.equal(requested.json.cancel_requested, true);

      const finished = await post('finished');
      await completeAsWorker(api.store, finished.json.id, 'done');
      const late = await cancel(finished.json.id);
      assert.equal(late.status, 409);
      assert.equal(late.json.error.code, 'conflict');
      assert.match(late.json.error.message, /already succeeded/);
    } finally {
      await api.close();
    }
  });
});
