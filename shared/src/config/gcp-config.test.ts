import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './config-error.ts';
import { readGcpConfig } from './gcp-config.ts';
import { loadConfig } from './load-config.ts';

const project = { GOOGLE_CLOUD_PROJECT: 'warmgen-prod' };

function rejects(env: Record<string, string>, variable: string, pattern: RegExp) {
  assert.throws(
    () => readGcpConfig({ ...project, ...env }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.variable, variable);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('readGcpConfig', () => {
  it('needs GOOGLE_CLOUD_PROJECT, and only on the gcp backend', () => {
    const deployment = { BACKEND: 'gcp', PRODUCTION: 'true' };
    assert.throws(() => loadConfig(deployment), /GOOGLE_CLOUD_PROJECT must be set/);
    assert.equal(loadConfig({}).gcp, null);
    // A deployment also needs a webhook signing secret and API keys (see webhook-config.ts, auth-config.ts).
    const required = {
      WEBHOOK_SECRETS: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
      API_KEYS: 'test-key-0123456789abcdef',
    };
    assert.equal(
      loadConfig({ ...deployment, ...project, ...required }).gcp?.projectId,
      'warmgen-prod',
    );
  });

  it('reads every variable', () => {
    assert.deepEqual(
      readGcpConfig({
        GOOGLE_CLOUD_PROJECT: 'example.com:warmgen-staging',
        PUBSUB_TOPIC: 'staging-jobs',
        PUBSUB_SUBSCRIPTION: 'staging-jobs-worker',
        PUBSUB_DEAD_LETTER_TOPIC: 'staging-dead',
        PUBSUB_DEAD_LETTER_SUBSCRIPTION: 'staging-dead-worker',
        PUBSUB_STREAM_TOPIC: 'staging-stream',
        PUBSUB_STREAM_SUBSCRIPTION_PREFIX: 'staging-stream-api',
        PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
        FIRESTORE_DATABASE: 'warmgen-staging',
        FIRESTORE_COLLECTION_PREFIX: 'staging_',
        FIRESTORE_EMULATOR_HOST: 'localhost:8086',
        RETENTION_DAYS: '7',
        GCP_CALL_DEADLINE_MS: '2500',
      }),
      {
        projectId: 'example.com:warmgen-staging',
        pubsubTopic: 'staging-jobs',
        pubsubSubscription: 'staging-jobs-worker',
        pubsubDeadLetterTopic: 'staging-dead',
        pubsubDeadLetterSubscription: 'staging-dead-worker',
        pubsubStreamTopic: 'staging-stream',
        pubsubStreamSubscriptionPrefix: 'staging-stream-api',
        pubsubEmulatorHost: '127.0.0.1:8085',
        firestoreDatabase: 'warmgen-staging',
        firestoreCollectionPrefix: 'staging_',
        firestoreEmulatorHost: 'localhost:8086',
        retentionDays: 7,
        callDeadlineMs: 2500,
      },
    );
  });

  it('rejects names Pub/Sub and Firestore would refuse, naming the variable', () => {
    rejects({ GOOGLE_CLOUD_PROJECT: 'My_Project' }, 'GOOGLE_CLOUD_PROJECT', /project id/);
    rejects({ PUBSUB_TOPIC: 'ab' }, 'PUBSUB_TOPIC', /3-255 characters/);
    rejects({ PUBSUB_SUBSCRIPTION: '1jobs' }, 'PUBSUB_SUBSCRIPTION', /starting with a letter/);
    rejects({ PUBSUB_DEAD_LETTER_TOPIC: 'goog-dead' }, 'PUBSUB_DEAD_LETTER_TOPIC', /"goog-dead"/);
    rejects({ FIRESTORE_DATABASE: 'Default' }, 'FIRESTORE_DATABASE', /\(default\)/);
    rejects({ FIRESTORE_COLLECTION_PREFIX: 'a/b' }, 'FIRESTORE_COLLECTION_PREFIX', /"a\/b"/);
    rejects({ PUBSUB_EMULATOR_HOST: 'http://localhost' }, 'PUBSUB_EMULATOR_HOST', /host:port/);
    rejects({ FIRESTORE_EMULATOR_HOST: 'localhost' }, 'FIRESTORE_EMULATOR_HOST', /host:port/);
    rejects({ RETENTION_DAYS: '0' }, 'RETENTION_DAYS', /1 to 3650/);
  });
});
