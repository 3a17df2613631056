import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from '../config/load-config.ts';
import { configuredWebhookPolicy, refusedAddress } from './webhook-address-policy.ts';

const policyFor = (env: Record<string, string>, whenUnset?: readonly string[]) =>
  configuredWebhookPolicy(loadConfig(env).webhooks, whenUnset);

it('unset WEBHOOK_ALLOW_HOSTS takes the main fallback; set, it wins, and none means none', () => {
  // The API and worker mains: strict.
  assert.match(refusedAddress('127.0.0.1', policyFor({})) ?? '', /loopback/);
  // npm start: loopback for local receivers, still nothing else private.
  assert.equal(refusedAddress('127.0.0.1', policyFor({}, ['loopback'])), null);
  assert.notEqual(refusedAddress('10.0.0.5', policyFor({}, ['loopback'])), null);
  assert.notEqual(
    refusedAddress('127.0.0.1', policyFor({ WEBHOOK_ALLOW_HOSTS: 'none' }, ['loopback'])),
    null,
  );
  assert.equal(refusedAddress('10.0.0.5', policyFor({ WEBHOOK_ALLOW_HOSTS: '10.0.0.0/8' })), null);
  assert.equal(refusedAddress('10.0.0.5', policyFor({ WEBHOOK_ALLOW_PRIVATE: 'true' })), null);
});
