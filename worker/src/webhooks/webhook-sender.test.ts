import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  strictAddressPolicy,
  webhookAddressPolicy,
} from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import { checkWebhookUrl, type ResolveHost } from '@warmgen/shared/webhooks/webhook-url-check.ts';
import {
  type Answer,
  startTestReceiver,
  type TestReceiver,
  testSecret,
} from './test-support/webhook-receiver.ts';
import { createWebhookSender, type WebhookSender } from './webhook-sender.ts';

const loopbackOnly = webhookAddressPolicy({ allowHosts: ['loopback'], allowPrivate: false });
/** No real DNS in tests: names resolve from a table. */
const table =
  (entries: Record<string, string[]>): ResolveHost =>
  async (name) => {
    const found = entries[name];
    if (found === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    }
    return found;
  };

describe('createWebhookSender', () => {
  let receiver: TestReceiver;
  let redirectTarget: TestReceiver;
  let answers: Answer[] = [];
  const senders: WebhookSender[] = [];
  const sender = (options: Partial<Parameters<typeof createWebhookSender>[0]> = {}) => {
    const created = createWebhookSender({
      policy: loopbackOnly,
      resolve: table({ 'receiver.test': ['127.0.0.1'] }),
      timeoutMs: 2_000,
      ...options,
    });
    senders.push(created);
    return created;
  };
  const post = (url: string) => ({
    url,
    body: '{"type":"generation.completed","data":{"text":"héllo"}}',
    headers: { 'webhook-id': 'evt_x' },
  });

  before(async () => {
    receiver = await startTestReceiver({
      secret: testSecret(),
      answer: (n) => answers[n] ?? { status: 200 },
    });
    redirectTarget = await startTestReceiver({ secret: testSecret() });
  });
  after(async () => {
    for (const s of senders) {
      s.close();
    }
    await receiver.close();
    await redirectTarget.close();
  });

  it('POSTs the exact body with the given headers and reads the status', async () => {
    answers = [];
    const before = receiver.received.length;
    const result = await sender().send(post(receiver.url));
    assert.equal(result.statusCode, 200);
    assert.equal(result.error, null);
    assert.ok(result.latencyMs >= 0 && result.latencyMs < 2_000);
    const [request] = receiver.received.slice(before);
    assert.equal(request?.rawBody, post('').body);
    assert.equal(request?.headers['webhook-id'], 'evt_x');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.match(String(request?.headers['user-agent']), /^warmgen-webhooks/);
  });

  it('does not follow a redirect, even to an allowed address', async () => {
    answers = [{ status: 302, headers: { location: redirectTarget.url } }];
    receiver.received.length = 0;
    const result = await sender().send(post(receiver.url));
    assert.equal(result.statusCode, 302);
    assert.match(result.error ?? '', /redirects are not followed/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(redirectTarget.received.length, 0);
  });

  it('gives up on a slow receiver at the timeout', async () => {
    answers = [{ status: 200, delayMs: 1_500 }];
    receiver.received.length = 0;
    const result = await sender({ timeoutMs: 300 }).send(post(receiver.url));
    assert.equal(result.statusCode, null);
    assert.match(result.error ?? '', /timeout: no answer within 300 ms/);
    assert.ok(result.latencyMs >= 290 && result.latencyMs < 1_400, String(result.latencyMs));
  });

  it('reports Retry-After and refused connections', async () => {
    answers = [{ status: 503, headers: { 'retry-after': '7' } }];
    receiver.received.length = 0;
    const busy = await sender().send(post(receiver.url));
    assert.deepEqual([busy.statusCode, busy.retryAfterMs, busy.error], [503, 7_000, 'HTTP 503']);
    const closed = await startTestReceiver({ secret: testSecret() });
    await closed.close();
    const refused = await sender().send(post(closed.url));
    assert.equal(refused.statusCode, null);
    assert.match(refused.error ?? '', /ECONNREFUSED/);
  });

  it('connects to a name through the checked address only', async () => {
    answers = [];
    receiver.received.length = 0;
    const viaName = await sender().send(post(`http://receiver.test:${receiver.port}/hooks`));
    assert.equal(viaName.statusCode, 200);
    assert.equal(receiver.received[0]?.headers.host, `receiver.test:${receiver.port}`);
  });

  it('refuses at delivery time what the policy refuses, before sending a byte', async () => {
    receiver.received.length = 0;
    const strict = sender({
      policy: strictAddressPolicy,
      resolve: table({ 'private.test': ['10.0.0.7'], 'loop.test': ['127.0.0.1'] }),
    });
    for (const [url, reason] of [
      [receiver.url, /127\.0\.0\.1 is a loopback/],
      [`http://loop.test:${receiver.port}/`, /loop\.test resolves to 127\.0\.0\.1 is a loopback/],
      [`http://private.test:${receiver.port}/`, /private/],
      [`http://localhost:${receiver.port}/`, /this host/],
      [`http://u:p@127.0.0.1:${receiver.port}/`, /credentials/],
    ] as const) {
      const result = await strict.send(post(url));
      assert.equal(result.statusCode, null, url);
      assert.match(result.error ?? '', reason, url);
      assert.match(result.error ?? '', /^refused: /, url);
    }
    assert.equal(receiver.received.length, 0);
  });

  it('a name that passes the submit-time check and then rebinds to loopback is refused', async () => {
    receiver.received.length = 0;
    let lookups = 0;
    // First answer public (what the API saw), every later one loopback (the attack).
    const rebinding: ResolveHost = async () =>
      lookups++ === 0 ? ['93.184.215.14'] : ['127.0.0.1'];
    const url = `http://rebind.test:${receiver.port}/hooks`;
    const atSubmit = await checkWebhookUrl(url, strictAddressPolicy, rebinding);
    assert.ok(atSubmit.ok);
    const result = await sender({ policy: strictAddressPolicy, resolve: rebinding }).send(
      post(url),
    );
    assert.match(result.error ?? '', /refused: rebind\.test resolves to 127\.0\.0\.1/);
    assert.equal(receiver.received.length, 0);
  });
});
