import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { completeAsWorker, type RunningApi, startApi } from './api-test-harness.ts';
import { createDocumentValidator, type Exchange } from './openapi/document-validator.ts';

const key = 'wg_test_key_alpha_0123456789';
const auth = { authorization: `Bearer ${key}` };

/**
 * The README's curl walk-through, request for request, against the API with keys required,
 * each response checked against the document GET /openapi.json serves: the contract a
 * generated client or a validating proxy holds the API to.
 */
describe('the README walk-through conforms to the OpenAPI document', () => {
  let api: RunningApi;
  let validator: ReturnType<typeof createDocumentValidator>;
  const exchanges: Exchange[] = [];

  async function send(
    method: string,
    path: string,
    options: { body?: string; type?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...auth, ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] = options.type ?? 'application/json';
    }
    const response = await fetch(`${api.baseUrl}${path}`, { method, headers, body: options.body });
    const exchange: Exchange = {
      method,
      path,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: await response.text(),
      ...(options.body === undefined
        ? {}
        : { request: { contentType: headers['content-type'] ?? '', body: options.body } }),
    };
    exchanges.push(exchange);
    return exchange;
  }
  const json = (exchange: Exchange) => JSON.parse(exchange.body);

  before(async () => {
    api = await startApi({
      auth: {
        mode: 'required',
        keyHashes: [createHash('sha256').update(key).digest('hex')],
        rateLimitPerMinute: 0,
      },
    });
    validator = createDocumentValidator(await (await fetch(`${api.baseUrl}/openapi.json`)).json());
  });
  after(async () => {
    await api.close();
  });

  it('runs every step of the walk-through with the statuses the README shows', async () => {
    const submitted = await send('POST', '/v1/generations', {
      body: '{"prompt": "The quick brown fox", "params": {"max_new_tokens": 32, "temperature": 0.8, "seed": 1}}',
    });
    assert.equal(submitted.status, 202);
    const jobId = json(submitted).id;
    await completeAsWorker(api.store, jobId, ' jumps over the lazy dog');
    const polled = await send('GET', `/v1/generations/${jobId}?wait=10`);
    assert.equal(json(polled).status, 'succeeded');

    // Prefer: wait holds the submit; a worker finishes the job meanwhile.
    const waited = send('POST', '/v1/generations', {
      body: '{"prompt": "Hello, my name is", "params": {"max_new_tokens": 20}}',
      headers: { prefer: 'wait=10' },
    });
    await completeAsWorker(api.store, await queuedJobWithPrompt(api, 'Hello, my name is'), ' Ada');
    assert.equal((await waited).status, 200);

    const idempotent = {
      body: '{"prompt": "Once upon a time"}',
      headers: { 'idempotency-key': 'order-42' },
    };
    const first = await send('POST', '/v1/generations', idempotent);
    const again = await send('POST', '/v1/generations', idempotent);
    assert.equal(json(again).id, json(first).id);

    const jsonl = await send('POST', '/v1/batches', {
      type: 'application/jsonl',
      body: '\n{"custom_id": "b", "prompt": "Second prompt"}\n{"custom_id": "a", "prompt": "First prompt", "params": {"max_new_tokens": 8}}',
    });
    assert.equal(jsonl.status, 202);
    const batchId = json(jsonl).id;
    const envelope = await send('POST', '/v1/batches', {
      body: '{"items": [{"custom_id": "x1", "prompt": "Hi"}, {"custom_id": "x2", "prompt": "Bye"}]}',
    });
    assert.equal(envelope.status, 202);
    const [firstItem] = await api.store.listBatchJobs({ batchId, afterCustomId: null, limit: 10 });
    await completeAsWorker(api.store, firstItem?.id ?? '', 'done');

    assert.equal((await send('GET', `/v1/batches/${batchId}`)).status, 200);
    const results = await send('GET', `/v1/batches/${batchId}/results`);
    assert.equal(results.body.trimEnd().split('\n').length, 2);

    assert.equal((await send('POST', `/v1/generations/${json(first).id}/cancel`)).status, 200);
    assert.equal((await send('POST', `/v1/batches/${json(envelope).id}/cancel`)).status, 200);
    // Its two items were canceled while queued: the retry runs them again, once.
    const retried = await send('POST', `/v1/batches/${json(envelope).id}/retry`);
    assert.equal(retried.status, 202);
    assert.equal(json(retried).retries, 1);
    assert.equal((await send('POST', `/v1/batches/${json(envelope).id}/retry`)).status, 409);

    const hooked = await send('POST', '/v1/generations', {
      body: JSON.stringify({
        prompt: 'Hello',
        webhook: {
          url: 'https://example.com/hooks/warmgen',
          events: ['generation.completed', 'generation.failed'],
        },
      }),
    });
    assert.equal(hooked.status, 202);

    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      assert.equal((await send('GET', path)).status, 200, path);
    }
    // And the errors the README names: each in the one error shape the document declares.
    assert.equal((await send('POST', '/v1/generations', { body: '{"prompt": ""}' })).status, 400);
    assert.equal((await send('GET', '/v1/generations/job_unknown')).status, 404);
    assert.equal((await send('POST', `/v1/generations/${jobId}/cancel`)).status, 409);
    const anonymous = await fetch(`${api.baseUrl}/v1/generations/${jobId}`);
    exchanges.push({
      method: 'GET',
      path: `/v1/generations/${jobId}`,
      status: anonymous.status,
      contentType: anonymous.headers.get('content-type') ?? '',
      body: await anonymous.text(),
    });
    assert.equal(anonymous.status, 401);
  });

  it('has 0 violations of the document', () => {
    assert.ok(exchanges.length >= 20, `only ${exchanges.length} exchanges`);
    assert.deepEqual(
      exchanges.flatMap((exchange) => validator.check(exchange)),
      [],
    );
  });

  it('would report a response that broke the document (the check is live)', () => {
    const results = exchanges.find((e) => e.path.endsWith('/results'));
    const job = exchanges.find(
      (e) => e.method === 'GET' && e.status === 200 && e.path.includes('wait'),
    );
    const upload = exchanges.find((e) => e.request?.contentType === 'application/jsonl');
    assert.ok(results && job && upload);
    const { id: _dropped, ...withoutId } = JSON.parse(job.body);
    const broken: Exchange[] = [
      { ...job, body: JSON.stringify(withoutId) },
      { ...results, body: '{"custom_id": "a"}\n' },
      { ...job, status: 201 },
      { ...job, contentType: 'text/html' },
      { ...results, request: { contentType: 'text/csv', body: 'a,b' } },
      { ...upload, request: { contentType: 'application/jsonl', body: '{"custom_id": "z"}\n' } },
    ];
    const found = broken.map((exchange) => validator.check(exchange));
    assert.match(found[0]?.join() ?? '', /must have required property 'id'/);
    assert.match(found[1]?.join() ?? '', /line 1: .*required property 'id'/);
    assert.match(found[2]?.join() ?? '', /status 201 is not in the document/);
    assert.match(found[3]?.join() ?? '', /response text\/html is not in the document/);
    assert.match(found[4]?.join() ?? '', /request body text\/csv is not in the document/);
    assert.match(found[5]?.join() ?? '', /request line 1: .*required property 'prompt'/);
  });
});

/** The id of the queued job with this prompt, once the held submit has written it. */
async function queuedJobWithPrompt(api: RunningApi, prompt: string): Promise<string> {
  for (let attempt = 0; attempt < 200; attempt++) {
    for (const message of await api.queue.pull(10, 60_000, 0)) {
      const job = await api.store.getJob(message.jobId);
      if (job?.prompt === prompt && job.status === 'queued') {
        return job.id;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no queued job with prompt ${prompt}`);
}
