import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineProcessEnv } from '@warmgen/worker/engine/malloc-tunables.ts';

/**
 * The environment of an API or worker process on the Google Cloud adapters, locally: the
 * Pub/Sub and Firestore emulators, the model in the GCS test server, the keys and secret
 * BACKEND=gcp requires. Shared by `npm run dev:gcp` and the end-to-end tests, so both run
 * the processes exactly as configured here.
 */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const apiMain = join(repoRoot, 'api', 'src', 'main.ts');
export const workerMain = join(repoRoot, 'worker', 'src', 'main.ts');
export const modelPushMain = join(repoRoot, 'worker', 'src', 'model-push', 'main.ts');
export const gcsTestServerMain = join(repoRoot, 'test', 'src', 'gcs-test-server', 'main.ts');

/** Where the stack's services listen. */
export interface StackEndpoints {
  projectId: string;
  /** host:port of the Pub/Sub emulator. */
  pubsubHost: string;
  /** host:port of the Firestore emulator. */
  firestoreHost: string;
  /** Origin of the GCS JSON API (the test server). */
  storageUrl: string;
  /** gs://bucket/prefix of the pushed model. */
  modelUri: string;
}

/** The credentials BACKEND=gcp insists on, made fresh for each run. */
export interface StackSecrets {
  /** A key for `Authorization: Bearer …` (API_KEYS). */
  apiKey: string;
  /** The webhook signing secret (WEBHOOK_SECRETS). */
  webhookSecret: string;
}

export function newStackSecrets(): StackSecrets {
  return {
    apiKey: `wg_local_${randomBytes(16).toString('hex')}`,
    webhookSecret: `whsec_${randomBytes(32).toString('base64')}`,
  };
}

/**
 * Names of the topics, subscriptions and collections: unique per `namespace`, so several
 * stacks (or tests) can share one pair of emulators without seeing each other's jobs.
 */
export function namespacedResources(namespace: string): Record<string, string> {
  return {
    PUBSUB_TOPIC: `${namespace}-jobs`,
    PUBSUB_SUBSCRIPTION: `${namespace}-jobs-worker`,
    PUBSUB_DEAD_LETTER_TOPIC: `${namespace}-jobs-dead-letter`,
    PUBSUB_DEAD_LETTER_SUBSCRIPTION: `${namespace}-jobs-dead-letter-worker`,
    WEBHOOK_PUBSUB_TOPIC: `${namespace}-webhooks`,
    WEBHOOK_PUBSUB_SUBSCRIPTION: `${namespace}-webhooks-delivery`,
    PUBSUB_STREAM_TOPIC: `${namespace}-stream`,
    PUBSUB_STREAM_SUBSCRIPTION_PREFIX: `${namespace}-stream-api`,
    FIRESTORE_COLLECTION_PREFIX: `${namespace.replaceAll('-', '_')}_`,
  };
}

/** Only these pass through from the supervisor's environment: the rest is set here. */
const inheritedVariables = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];

export function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of inheritedVariables) {
    const value = process.env[name];
    if (value !== undefined) {
      env[name] = value;
    }
  }
  return env;
}

/** The whole environment of an API or worker process; `extra` comes last and wins. */
export function stackEnv(
  endpoints: StackEndpoints,
  secrets: StackSecrets,
  modelCacheDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...inheritedEnv(),
    ...engineProcessEnv,
    // Even in emulator mode the Google clients would probe the GCE metadata server once.
    METADATA_SERVER_DETECTION: 'none',
    HOST: '127.0.0.1',
    BACKEND: 'gcp',
    GOOGLE_CLOUD_PROJECT: endpoints.projectId,
    PUBSUB_EMULATOR_HOST: endpoints.pubsubHost,
    FIRESTORE_EMULATOR_HOST: endpoints.firestoreHost,
    MODEL_URI: endpoints.modelUri,
    STORAGE_API_ENDPOINT: endpoints.storageUrl,
    MODEL_CACHE_DIR: modelCacheDir,
    API_KEYS: secrets.apiKey,
    WEBHOOK_SECRETS: secrets.webhookSecret,
    ...extra,
  };
}
