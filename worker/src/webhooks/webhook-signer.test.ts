import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { testSecret } from './test-support/webhook-receiver.ts';
import { createWebhookSigner } from './webhook-signer.ts';

describe('createWebhookSigner', () => {
  const body = '{"type":"generation.completed","data":{"id":"job_1","text":"ünïcödé"}}';

  it('signs so that the standardwebhooks library verifies the raw body', () => {
    const at = new Date();
    const headers = createWebhookSigner([testSecret(1)])('evt_1', at, body);
    assert.equal(headers['webhook-id'], 'evt_1');
    assert.equal(headers['webhook-timestamp'], String(Math.floor(at.getTime() / 1000)));
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(new Webhook(testSecret(1)).verify(body, { ...headers }), JSON.parse(body));
  });

  it('signs with every secret, so either one verifies during a rotation', () => {
    const headers = createWebhookSigner([testSecret(1), testSecret(2)])('evt_2', new Date(), body);
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    for (const secret of [testSecret(1), testSecret(2)]) {
      assert.ok(new Webhook(secret).verify(body, { ...headers }));
    }
    assert.throws(
      () => new Webhook(testSecret(3)).verify(body, { ...headers }),
      WebhookVerificationError,
    );
  });

  it('a re-serialised body, another id or an old timestamp does not verify', () => {
    const sign = createWebhookSigner([testSecret(1)]);
    const verifier = new Webhook(testSecret(1));
    const headers = sign('evt_3', new Date(), body);
    const reserialised = JSON.stringify(JSON.parse(body), null, 2);
    assert.throws(() => verifier.verify(reserialised, { ...headers }), WebhookVerificationError);
    assert.throws(
      () => verifier.verify(body, { ...headers, 'webhook-id': 'evt_4' }),
      WebhookVerificationError,
    );
    const old = sign('evt_3', new Date(Date.now() - 6 * 60_000), body);
    assert.throws(() => verifier.verify(body, { ...old }), /too old/);
  });

  it('refuses to start without a secret', () => {
    assert.throws(() => createWebhookSigner([]), /at least one/);
  });
});
