import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import { type RunningApi, sendJson, startApi } from './api-test-harness.ts';

const keyA = 'wg_test_key_alpha_0123456789';
const keyB = 'wg_test_key_bravo_0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function withKeys(
  run: (api: RunningApi) => Promise<void>,
  limit: { perMinute: number; windowMs?: number } = { perMinute: 0 },
) {
  const api = await startApi({
    auth: {
      mode: 'required',
      keyHashes: [sha256(keyA), sha256(keyB)],
      rateLimitPerMinute: limit.perMinute,
      ...(limit.windowMs ? { rateLimitWindowMs: limit.windowMs } : {}),
    },
  });
  try {
    await run(api);
  } finally {
    await api.close();
  }
}

describe('API keys', () => {
  it('refuses a missing, malformed or unknown key with 401 and WWW-Authenticate', async () => {
    await withKeys(async (api) => {
      for (const headers of [
        {},
        { authorization: keyA },
        { authorization: `Basic ${keyA}` },
        { authorization: 'Bearer ' },
        bearer('wg_test_key_charlie_012345678'),
        bearer(`${keyA}x`),
      ]) {
        const response = await sendJson(
          api.baseUrl,
          'POST',
          '/v1/generations',
          { prompt: 'hi' },
          headers,
        );
        assert.equal(response.status, 401, JSON.stringify(headers));
        assert.equal(response.json.error.code, 'unauthorized');
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
      assert.deepEqual(await api.store.countJobs(), {
        queued: 0,
        running: 0,
        succeeded: 0,
        failed: 0,
        canceled: 0,
      });
      const unknownRoute = await sendJson(api.baseUrl, 'GET', '/v1/nothing-here');
      assert.equal(unknownRoute.status, 401, 'routes are not revealed without a key');
    });
  });

  it('refuses two Authorization headers with a 400 naming the header, whichever comes first', async () => {
    await withKeys(async (api) => {
      const orders = [
        [`Bearer ${keyA}`, 'Bearer wg_test_key_wrong_0123456789'],
        ['Bearer wg_test_key_wrong_0123456789', `Bearer ${keyA}`],
        [`Bearer ${keyA}`, `Bearer ${keyA}`],
      ];
      for (const authorization of orders) {
        const response = await requestWithHeaders(api.baseUrl, '/v1/generations', {
          'content-type': 'application/json',
          authorization,
        });
        assert.equal(response.status, 400, authorization.join(' then '));
        const body = JSON.parse(response.text);
        assert.equal(body.error.code, 'bad_request');
        assert.deepEqual(body.error.details, [
          { field: 'headers/authorization', message: 'was sent 2 times' },
        ]);
      }
      assert.equal((await api.store.countJobs()).queued, 0, 'no job was created');
      const single = await requestWithHeaders(api.baseUrl, '/v1/generations', {
        'content-type': 'application/json',
        authorization: [`Bearer ${keyA}`],
      });
      assert.equal(single.status, 202, single.text);
    });
  });

  it('leaves the probes and the OpenAPI document open, but not /metrics', async () => {
    await withKeys(async (api) => {
      for (const path of ['/healthz', '/readyz', '/openapi.json']) {
        assert.equal((await fetch(`${api.baseUrl}${path}`)).status, 200, path);
      }
      assert.equal((await fetch(`${api.baseUrl}/metrics`)).status, 401);
      assert.equal((await fetch(`${api.baseUrl}/metrics`, { headers: bearer(keyB) })).status, 200);
      const doc = await (await fetch(`${api.baseUrl}/openapi.json`)).json();
      // Per operation: the probes and the document need no key (openapi-lint.test.ts has all).
      assert.deepEqual(doc.paths['/v1/generations'].post.security, [{ bearerAuth: [] }]);
      assert.deepEqual(doc.paths['/healthz'].get.security, []);
    });
  });

  it('a job or batch belongs to its key: another key gets 404 on read, cancel, results and redeliver', async () => {
    await withKeys(async (api) => {
      const job = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations',
        { prompt: 'mine' },
        bearer(keyA),
      );
      assert.equal(job.status, 202);
      const batch = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/batches',
        { items: [{ custom_id: 'a', prompt: 'x' }] },
        bearer(keyA),
      );
      assert.equal(batch.status, 202);
      const { id } = job.json;
      const batchId = batch.json.id;
      assert.match((await api.store.getJob(id))?.owner ?? '', /^key_[0-9a-f]{16}$/);
      assert.equal((await api.store.getBatch(batchId))?.owner, (await api.store.getJob(id))?.owner);

      const asB = [
        ['GET', `/v1/generations/${id}`],
        ['POST', `/v1/generations/${id}/cancel`],
        ['POST', `/v1/generations/${id}/webhook/redeliver`],
        ['GET', `/v1/batches/${batchId}`],
        ['GET', `/v1/batches/${batchId}/results`],
        ['POST', `/v1/batches/${batchId}/cancel`],
        ['POST', `/v1/batches/${batchId}/webhook/redeliver`],
      ] as const;
      for (const [method, path] of asB) {
        const response = await sendJson(api.baseUrl, method, path, undefined, bearer(keyB));
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.equal(response.json.error.code, 'not_found');
      }
      assert.equal((await api.store.getJob(id))?.status, 'queued', 'B could not cancel it');
      const own = await sendJson(
        api.baseUrl,
        'GET',
        `/v1/generations/${id}`,
        undefined,
        bearer(keyA),
      );
      assert.equal(own.status, 200);
      assert.equal(own.json.prompt, 'mine');
      const results = await fetch(`${api.baseUrl}/v1/batches/${batchId}/results`, {
        headers: bearer(keyA),
      });
      assert.equal(results.status, 200);
    });
  });

  it('scopes Idempotency-Key to the API key', async () => {
    await withKeys(async (api) => {
      const headers = { 'idempotency-key': 'order-42' };
      const a = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations',
        { prompt: 'A' },
        { ...headers, ...bearer(keyA) },
      );
      const b = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations',
        { prompt: 'B' },
        { ...headers, ...bearer(keyB) },
      );
      assert.equal(b.status, 202, 'not a 409: the other key never used it');
      assert.notEqual(a.json.id, b.json.id);
      const again = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations',
        { prompt: 'A' },
        { ...headers, ...bearer(keyA) },
      );
      assert.equal(again.json.id, a.json.id);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
    });
  });

  it('runs open without keys: no 401, jobs have no owner', async () => {
    const api = await startApi();
    try {
      const job = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'open' });
      assert.equal(job.status, 202);
      assert.equal((await api.store.getJob(job.json.id))?.owner, null);
      assert.equal(
        (await sendJson(api.baseUrl, 'GET', `/v1/generations/${job.json.id}`)).status,
        200,
      );
    } finally {
      await api.close();
    }
  });
});

describe('submission rate limit', () => {
  it('answers 429 with Retry-After past the limit, per key, and recovers after the window', async () => {
    // 180 a minute = 3 per one-second window.
    await withKeys(
      async (api) => {
        const submit = (key: string) =>
          sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'x' }, bearer(key));
        for (let i = 0; i < 3; i += 1) {
          assert.equal((await submit(keyA)).status, 202);
        }
        const limited = await submit(keyA);
        assert.equal(limited.status, 429);
        assert.equal(limited.json.error.code, 'rate_limited');
        assert.match(limited.json.error.message, /180 a minute per API key/);
        const retryAfter = Number(limited.headers.get('retry-after'));
        assert.ok(retryAfter >= 0 && retryAfter <= 1, String(retryAfter));
        // Another key has its own budget; reads are never limited.
        assert.equal((await submit(keyB)).status, 202);
        for (let i = 0; i < 5; i += 1) {
          const read = await sendJson(api.baseUrl, 'GET', '/healthz');
          assert.equal(read.status, 200);
        }
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        assert.equal((await submit(keyA)).status, 202, 'recovered after the window');
      },
      { perMinute: 180, windowMs: 1_000 },
    );
  });

  it('a refused submission writes and queues nothing', async () => {
    await withKeys(
      async (api) => {
        const statuses = [];
        for (let i = 0; i < 4; i += 1) {
          const response = await sendJson(
            api.baseUrl,
            'POST',
            '/v1/generations',
            { prompt: 'y' },
            bearer(keyA),
          );
          statuses.push(response.status);
        }
        assert.deepEqual(statuses, [202, 202, 429, 429]);
        assert.equal((await api.store.countJobs()).queued, 2);
        assert.equal(await api.queue.depth(), 2);
      },
      { perMinute: 120, windowMs: 1_000 },
    );
  });
});

/** POST {"prompt":"hi"} with header values sent as given: an array sends one line each. */
function requestWithHeaders(
  baseUrl: string,
  path: string,
  headers: Record<string, string | string[]>,
): Promise<{ status: number; text: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: 'POST', path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end('{"prompt":"hi"}');
  });
}
