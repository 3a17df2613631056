import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError } from './config-error.ts';
import { readWebhookConfig } from './webhook-config.ts';

const secret = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

function failsOn(variable: string, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof ConfigError && error.variable === variable && pattern.test(error.message);
}

describe('readWebhookConfig', () => {
  it('defaults to the Standard Webhooks schedule, 10 s, strict addresses, no secrets', () => {
    const config = readWebhookConfig({}, false);
    assert.deepEqual(
      config.retryScheduleMs,
      [
        0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000,
        86_400_000,
      ],
    );
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.allowHosts, null);
    assert.equal(config.allowPrivate, false);
    assert.deepEqual(config.secrets, []);
  });

  it('reads every variable', () => {
    const [a, b] = [secret(32), secret(24)];
    const config = readWebhookConfig(
      {
        WEBHOOK_SECRETS: ` ${a}  ${b} `,
        WEBHOOK_RETRY_SCHEDULE: '0, 200ms,1s,2m,1h',
        WEBHOOK_TIMEOUT_MS: '500',
        WEBHOOK_CONCURRENCY: '200',
        WEBHOOK_ALLOW_HOSTS: 'loopback, 10.0.0.0/8,hooks.internal',
        WEBHOOK_ALLOW_PRIVATE: 'yes',
        WEBHOOK_PUBSUB_TOPIC: 'hooks',
        WEBHOOK_PUBSUB_SUBSCRIPTION: 'hooks-sub',
      },
      true,
    );
    assert.deepEqual(config, {
      secrets: [a, b],
      retryScheduleMs: [0, 200, 1_000, 120_000, 3_600_000],
      timeoutMs: 500,
      concurrency: 200,
      allowHosts: ['loopback', '10.0.0.0/8', 'hooks.internal'],
      allowPrivate: true,
      pubsubTopic: 'hooks',
      pubsubSubscription: 'hooks-sub',
    });
  });

  it('needs a secret on gcp and refuses malformed ones without echoing them', () => {
    assert.throws(() => readWebhookConfig({}, true), failsOn('WEBHOOK_SECRETS', /PRODUCTION=true/));
    for (const bad of [
      'whsec_short',
      secret(16),
      secret(65),
      'sk_abcdefghijklmnopqrstuvwxyz012345',
    ]) {
      assert.throws(
        () => readWebhookConfig({ WEBHOOK_SECRETS: `${secret(32)} ${bad}` }, false),
        (error: unknown) =>
          failsOn('WEBHOOK_SECRETS', /entry 2/)(error) && !(error as Error).message.includes(bad),
      );
    }
  });

  it('refuses malformed schedules, allowlists and booleans, naming the variable', () => {
    for (const schedule of ['5', '1d', '0,,5s', '5s;10s', '0,169h', '5s,10s']) {
      assert.throws(
        () => readWebhookConfig({ WEBHOOK_RETRY_SCHEDULE: schedule }, false),
        failsOn('WEBHOOK_RETRY_SCHEDULE', /WEBHOOK_RETRY_SCHEDULE/),
        schedule,
      );
    }
    assert.throws(
      () => readWebhookConfig({ WEBHOOK_ALLOW_HOSTS: '10.0.0.0/40' }, false),
      failsOn('WEBHOOK_ALLOW_HOSTS', /10\.0\.0\.0\/40/),
    );
    assert.throws(
      () => readWebhookConfig({ WEBHOOK_ALLOW_PRIVATE: 'maybe' }, false),
      failsOn('WEBHOOK_ALLOW_PRIVATE', /true or false/),
    );
  });

  it('`none` is an explicit empty allowlist (strict even under npm start)', () => {
    assert.deepEqual(readWebhookConfig({ WEBHOOK_ALLOW_HOSTS: 'none' }, false).allowHosts, []);
  });
});
