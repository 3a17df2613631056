import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { WebhookPayload } from '@warmgen/shared/views/webhook-payload.ts';
import {
  type ReceivedWebhook,
  startTestReceiver,
  type TestReceiver,
  testSecret,
} from '@warmgen/worker/webhooks/test-support/webhook-receiver.ts';
import { useServices } from './e2e/service-fixture.ts';

const keyA = 'e2e-key-alpha-0123456789abcdef';
const keyB = 'e2e-key-bravo-0123456789abcdef';

async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (options.key) {
    headers.authorization = `Bearer ${options.key}`;
  }
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const payloadOf = (request: ReceivedWebhook | undefined) => request?.verified as WebhookPayload;

describe('webhooks end to end on npm start', () => {
  const services = useServices();
  const receivers: TestReceiver[] = [];
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('keys, a rotated signing secret, a receiver that fails once, batch.completed once', async () => {
    const [oldSecret, newSecret] = [testSecret(11), testSecret(12)];
    // The receiver already moved to the new secret; the service signs with both.
    const receiver = await startTestReceiver({
      secret: newSecret,
      answer: (n) => ({ status: n === 0 ? 503 : 200 }),
    });
    receivers.push(receiver);
    const service = await services.start({
      env: {
        API_KEYS: `${keyA},${keyB}`,
        WEBHOOK_SECRETS: `${oldSecret} ${newSecret}`,
        WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
        WEBHOOK_RETRY_SCHEDULE: '0,300ms,300ms,300ms',
      },
    });
    const base = service.baseUrl;

    // Keys: missing, wrong, and another key's job.
    assert.equal(
      (await call(base, 'POST', '/v1/generations', { body: { prompt: 'x' } })).status,
      401,
    );
    assert.equal(
      (
        await call(base, 'POST', '/v1/generations', {
          key: 'wrong-key-0123456789abcdef',
          body: { prompt: 'x' },
        })
      ).status,
      401,
    );
    // The SSRF guard in production form: only the allowlisted 127.0.0.1.
    for (const url of [
      'http://10.0.0.1/h',
      `http://localhost:${receiver.port}/h`,
      'http://169.254.169.254/',
    ]) {
      const refused = await call(base, 'POST', '/v1/generations', {
        key: keyA,
        body: { prompt: 'x', webhook: { url } },
      });
      assert.equal(refused.status, 400, url);
      assert.equal(refused.json.error.details[0].field, 'body/webhook/url');
    }

    const submitted = await call(base, 'POST', '/v1/generations', {
      key: keyA,
      body: {
        prompt: 'Webhooks',
        params: { max_new_tokens: 8, seed: 3 },
        webhook: { url: receiver.url },
      },
    });
    assert.equal(submitted.status, 202);
    const { id } = submitted.json;
    assert.equal((await call(base, 'GET', `/v1/generations/${id}`, { key: keyB })).status, 404);

    const [first, second] = await receiver.waitFor(2, 60_000);
    assert.equal(first?.verifyError, null);
    assert.equal(second?.verifyError, null);
    assert.equal(first?.headers['webhook-id'], second?.headers['webhook-id']);
    assert.equal(String(second?.headers['webhook-signature']).split(' ').length, 2);
    const payload = payloadOf(second);
    assert.equal(payload.type, 'generation.completed');

    const view = await waitFor(async () => {
      const { json } = await call(base, 'GET', `/v1/generations/${id}`, { key: keyA });
      return json.webhook_delivery?.state === 'delivered' ? json : undefined;
    }, 'the delivery to be recorded');
    const { webhook_delivery: delivery, ...jobView } = view;
    assert.deepEqual(payload.data, jobView, 'the payload is the job as the API returns it');
    assert.equal(delivery.event_id, second?.headers['webhook-id']);
    assert.deepEqual(
      delivery.attempts.map((a: { status_code: number }) => a.status_code),
      [503, 200],
    );

    const batch = await call(base, 'POST', '/v1/batches', {
      key: keyA,
      body: {
        items: Array.from({ length: 6 }, (_, i) => ({
          custom_id: `c${i}`,
          prompt: `Item ${i}`,
          params: { max_new_tokens: 4, seed: i },
        })),
        webhook: { url: receiver.url },
      },
    });
    assert.equal(batch.status, 202);
    await receiver.waitFor(3, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const batchEvents = receiver.received.filter((r) => payloadOf(r).type === 'batch.completed');
    assert.equal(batchEvents.length, 1);
    const batchPayload = payloadOf(batchEvents[0]) as WebhookPayload & {
      data: { id: string; status: string; counts: { succeeded: number } };
    };
    assert.equal(batchPayload.data.id, batch.json.id);
    assert.equal(batchPayload.data.status, 'completed');
    assert.equal(batchPayload.data.counts.succeeded, 6);
    assert.equal(
      (await call(base, 'POST', `/v1/batches/${batch.json.id}/webhook/redeliver`, { key: keyB }))
        .status,
      404,
    );
    const redelivered = await call(base, 'POST', `/v1/batches/${batch.json.id}/webhook/redeliver`, {
      key: keyA,
    });
    assert.equal(redelivered.status, 202);
    await receiver.waitFor(4, 30_000);
    assert.equal(
      receiver.received[3]?.headers['webhook-id'],
      batchEvents[0]?.headers['webhook-id'],
    );
  });

  it('plain npm start: open with loud notices, loopback allowed, a local signing secret', async () => {
    const service = await services.start();
    const logs = service.logs();
    for (const notice of ['API IS OPEN', 'WEBHOOKS MAY CALL LOOPBACK', 'WEBHOOK SIGNING SECRET']) {
      assert.ok(logs.includes(notice), `missing notice: ${notice}`);
    }
    const secret = (await readFile(join(service.dataDir, 'webhook-secret'), 'utf8')).trim();
    const receiver = await startTestReceiver({ secret });
    receivers.push(receiver);
    const submitted = await call(service.baseUrl, 'POST', '/v1/generations', {
      body: {
        prompt: 'Local',
        params: { max_new_tokens: 4 },
        webhook: {
          url: `http://localhost:${receiver.port}/hook`,
          events: ['generation.completed'],
        },
      },
    });
    assert.equal(submitted.status, 202);
    const [request] = await receiver.waitFor(1, 60_000);
    assert.equal(request?.verifyError, null);
    assert.equal(payloadOf(request).data.id, submitted.json.id);
    const metadata = await call(service.baseUrl, 'POST', '/v1/generations', {
      body: { prompt: 'x', webhook: { url: 'http://169.254.169.254/' } },
    });
    assert.equal(metadata.status, 400, 'loopback is allowed locally, the metadata server never');
  });
});
