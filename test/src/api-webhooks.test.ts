import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strictAddressPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import type { ResolveHost } from '@warmgen/shared/webhooks/webhook-url-check.ts';
import {
  completeAsWorker,
  publicResolver,
  type RunningApi,
  rawRequest,
  sendJson,
  startApi,
} from './api-test-harness.ts';

const dnsTable: Record<string, string[]> = {
  'hooks.example.com': ['93.184.215.14'],
  'intranet.example.com': ['10.20.30.40'],
  'sneaky.example.com': ['93.184.215.14', '169.254.169.254'],
};
const resolver: ResolveHost = async (name) => {
  if (name === 'flaky.example.com') {
    throw Object.assign(new Error('queryA ETIMEOUT'), { code: 'EAI_AGAIN' });
  }
  const found = dnsTable[name];
  if (found === undefined) {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  }
  return found;
};

async function withApi(run: (api: RunningApi) => Promise<void>) {
  const api = await startApi({ webhookGuard: { policy: strictAddressPolicy, resolve: resolver } });
  try {
    await run(api);
  } finally {
    await api.close();
  }
}

const refusedAtSubmit: [string, RegExp][] = [
  ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback/],
  ['http://localhost/hook', /localhost is this host/],
  ['http://[::1]/hook', /loopback/],
  ['http://2130706433/hook', /127\.0\.0\.1 is a loopback/],
  ['http://0x7f.1/hook', /127\.0\.0\.1 is a loopback/],
  ['http://169.254.169.254/computeMetadata/v1/', /metadata server/],
  ['http://metadata.google.internal/', /metadata server/],
  ['http://10.0.0.1/hook', /private/],
  ['http://[fd00::1]/hook', /unique-local/],
  ['http://100.100.100.100/hook', /carrier-grade NAT/],
  ['http://[::ffff:192.168.1.1]/hook', /192\.168\.1\.1 is a private/],
  ['https://user:pw@hooks.example.com/hook', /credentials/],
  ['https://intranet.example.com/hook', /intranet\.example\.com resolves to 10\.20\.30\.40/],
  ['https://sneaky.example.com/hook', /metadata server/],
  ['https://no-such-host.example.com/hook', /does not resolve \(ENOTFOUND\)/],
];

describe('webhook URLs at submit time', () => {
  it(`refuses ${refusedAtSubmit.length} hostile URLs with a 400 naming the field, writing nothing`, async () => {
    await withApi(async (api) => {
      for (const [url, reason] of refusedAtSubmit) {
        const response = await sendJson(api.baseUrl, 'POST', '/v1/generations', {
          prompt: 'x',
          webhook: { url },
        });
        assert.equal(response.status, 400, url);
        assert.equal(response.json.error.code, 'validation_failed');
        assert.equal(response.json.error.details[0].field, 'body/webhook/url', url);
        assert.match(response.json.error.message, /^body\/webhook\/url /, url);
        assert.match(response.json.error.message, reason, url);
      }
      assert.equal((await api.store.countJobs()).queued, 0);
    });
  });

  it('checks batch webhooks too, in the JSON body and in a JSONL upload', async () => {
    await withApi(async (api) => {
      const json = await sendJson(api.baseUrl, 'POST', '/v1/batches', {
        items: [{ custom_id: 'a', prompt: 'x' }],
        webhook: { url: 'http://10.0.0.1/hook' },
      });
      assert.equal(json.status, 400);
      assert.equal(json.json.error.details[0].field, 'body/webhook/url');
      const jsonl = await rawRequest(api.baseUrl, {
        method: 'POST',
        path: `/v1/batches?webhook_url=${encodeURIComponent('http://[::1]:9/h')}`,
        headers: { 'content-type': 'application/jsonl' },
        body: '{"custom_id":"a","prompt":"x"}\n',
      });
      assert.equal(jsonl.status, 400);
      assert.equal(JSON.parse(jsonl.text).error.details[0].field, 'querystring/webhook_url');
    });
  });

  it('accepts public URLs, and lets a DNS outage through to the delivery-time check', async () => {
    await withApi(async (api) => {
      for (const url of [
        'https://hooks.example.com/h',
        'http://93.184.215.14/h',
        'https://flaky.example.com/h',
      ]) {
        const response = await sendJson(api.baseUrl, 'POST', '/v1/generations', {
          prompt: 'x',
          webhook: { url },
        });
        assert.equal(response.status, 202, url);
      }
    });
  });
});

describe('webhook delivery in the API', () => {
  it('shows the delivery on the job: null, then the event and each attempt', async () => {
    await withApi(async (api) => {
      const created = await sendJson(api.baseUrl, 'POST', '/v1/generations', {
        prompt: 'x',
        webhook: { url: 'https://hooks.example.com/h' },
      });
      assert.equal(created.json.webhook_delivery, null);
      const { id } = created.json;
      await completeAsWorker(api.store, id, 'done');
      const pending = (await sendJson(api.baseUrl, 'GET', `/v1/generations/${id}`)).json;
      assert.equal(pending.webhook_delivery.type, 'generation.completed');
      assert.equal(pending.webhook_delivery.state, 'pending');
      assert.deepEqual(pending.webhook_delivery.attempts, []);
      const eventId = pending.webhook_delivery.event_id;
      assert.match(eventId, /^evt_/);

      // A delivery worker's failed attempt, as the store records it.
      const at = Date.now();
      await api.events.markDispatched(eventId, '{}', at);
      await api.events.claimAttempt(eventId, 'd1', 30_000, at + 1_000);
      await api.events.finishAttempt(
        eventId,
        'd1',
        { atMs: at, statusCode: 503, latencyMs: 42, error: 'HTTP 503' },
        { state: 'pending', nextAttemptAtMs: at + 5_000 },
      );
      const view = (await sendJson(api.baseUrl, 'GET', `/v1/generations/${id}`)).json
        .webhook_delivery;
      assert.deepEqual(view, {
        event_id: eventId,
        type: 'generation.completed',
        state: 'pending',
        next_attempt_at: new Date(at + 5_000).toISOString(),
        attempts: [
          { at: new Date(at).toISOString(), status_code: 503, latency_ms: 42, error: 'HTTP 503' },
        ],
      });
    });
  });

  it('redelivers a dead-lettered event; 409 when there is nothing to send', async () => {
    await withApi(async (api) => {
      const plain = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'x' });
      const noHook = await sendJson(
        api.baseUrl,
        'POST',
        `/v1/generations/${plain.json.id}/webhook/redeliver`,
      );
      assert.equal(noHook.status, 409);
      assert.match(noHook.json.error.message, /no webhook event/);
      const missing = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations/job_missing/webhook/redeliver',
      );
      assert.equal(missing.status, 404);

      const created = await sendJson(api.baseUrl, 'POST', '/v1/generations', {
        prompt: 'x',
        webhook: { url: 'https://hooks.example.com/h' },
      });
      const { id } = created.json;
      await completeAsWorker(api.store, id, 'done');
      const event = await api.events.getEventFor(id);
      assert.ok(event);
      const at = Date.now();
      await api.events.markDispatched(event.id, '{}', at);
      await api.events.claimAttempt(event.id, 'd1', 30_000, at + 1_000);
      const inFlight = await sendJson(
        api.baseUrl,
        'POST',
        `/v1/generations/${id}/webhook/redeliver`,
      );
      assert.equal(inFlight.status, 409);
      assert.match(inFlight.json.error.message, /in flight/);
      await api.events.finishAttempt(
        event.id,
        'd1',
        { atMs: at, statusCode: 500, latencyMs: 3, error: 'HTTP 500' },
        { state: 'failed', nextAttemptAtMs: null },
      );
      const redelivered = await sendJson(
        api.baseUrl,
        'POST',
        `/v1/generations/${id}/webhook/redeliver`,
      );
      assert.equal(redelivered.status, 202);
      assert.equal(redelivered.json.event_id, event.id);
      assert.equal(redelivered.json.state, 'pending');
      assert.equal(redelivered.json.attempts.length, 1);
      assert.deepEqual(
        (await api.events.listUndispatched(10)).map((e) => e.id),
        [event.id],
      );
    });
  });

  it('gives batch items the batch webhook only when it asks for their events', async () => {
    const api = await startApi({
      webhookGuard: { policy: strictAddressPolicy, resolve: publicResolver },
    });
    try {
      const items = [{ custom_id: 'a', prompt: 'x' }];
      const onlyBatch = await sendJson(api.baseUrl, 'POST', '/v1/batches', {
        items,
        webhook: { url: 'https://hooks.example.com/b' },
      });
      const perItem = await sendJson(api.baseUrl, 'POST', '/v1/batches', {
        items,
        webhook: {
          url: 'https://hooks.example.com/b',
          events: ['batch.completed', 'generation.failed'],
        },
      });
      const [first] = await api.store.listBatchJobs({
        batchId: onlyBatch.json.id,
        afterCustomId: null,
        limit: 10,
      });
      const [second] = await api.store.listBatchJobs({
        batchId: perItem.json.id,
        afterCustomId: null,
        limit: 10,
      });
      assert.equal(first?.webhook, null);
      assert.deepEqual(second?.webhook, {
        url: 'https://hooks.example.com/b',
        events: ['generation.failed'],
      });

      assert.equal(onlyBatch.json.webhook_delivery, null);
      await completeAsWorker(api.store, first?.id ?? '', 'done');
      const view = (await sendJson(api.baseUrl, 'GET', `/v1/batches/${onlyBatch.json.id}`)).json;
      assert.equal(view.status, 'completed');
      assert.equal(view.webhook_delivery.type, 'batch.completed');
      const redeliver = await sendJson(
        api.baseUrl,
        'POST',
        `/v1/batches/${onlyBatch.json.id}/webhook/redeliver`,
      );
      assert.equal(redeliver.status, 202);
    } finally {
      await api.close();
    }
  });
});
