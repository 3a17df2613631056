import { configDefaults as defaults } from './config-defaults.ts';
import { ConfigError } from './config-error.ts';
import { type Env, readInteger, readRaw, readString } from './parse-env.ts';

/**
 * The Google Cloud section of the configuration, read only when BACKEND=gcp. Resource
 * names default to what the Terraform in infra/ creates; a deployment overrides them to
 * run several environments in one project.
 */
export interface GcpConfig {
  /** GOOGLE_CLOUD_PROJECT: given to every client, so none asks a metadata server. */
  readonly projectId: string;
  readonly pubsubTopic: string;
  readonly pubsubSubscription: string;
  readonly pubsubDeadLetterTopic: string;
  readonly pubsubDeadLetterSubscription: string;
  /** PUBSUB_STREAM_TOPIC: live output from workers to API processes. */
  readonly pubsubStreamTopic: string;
  /** PUBSUB_STREAM_SUBSCRIPTION_PREFIX: each API process subscribes as this plus a random end. */
  readonly pubsubStreamSubscriptionPrefix: string;
  /** PUBSUB_EMULATOR_HOST (host:port), or null for the real service. */
  readonly pubsubEmulatorHost: string | null;
  /** FIRESTORE_DATABASE: "(default)" or a named database. */
  readonly firestoreDatabase: string;
  /** Prepended to the collection names (jobs, batches, idempotency_keys). */
  readonly firestoreCollectionPrefix: string;
  /** FIRESTORE_EMULATOR_HOST (host:port), or null for the real service. */
  readonly firestoreEmulatorHost: string | null;
  /** Days finished jobs are kept before Firestore's TTL policy deletes them. */
  readonly retentionDays: number;
  /** GCP_CALL_DEADLINE_MS: the API's deadline on each Firestore or Pub/Sub call. */
  readonly callDeadlineMs: number;
}

// Project ids: 6-30 lowercase letters, digits and hyphens (optionally domain-scoped).
const projectPattern = /^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
// Pub/Sub ids: 3-255 characters, a letter first, not starting with "goog".
const pubsubIdPattern = /^(?!goog)[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
// Named databases: 4-63 lowercase letters, digits and hyphens, a letter first.
const databasePattern = /^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/;
// Collection ids may not contain "/"; keep prefixes to a plain, predictable alphabet.
const collectionPrefixPattern = /^[A-Za-z0-9_-]{0,100}$/;
const hostPortPattern = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

export function readGcpConfig(env: Env): GcpConfig {
  const projectId = readRaw(env, 'GOOGLE_CLOUD_PROJECT');
  if (projectId === undefined) {
    throw new ConfigError(
      'GOOGLE_CLOUD_PROJECT',
      'GOOGLE_CLOUD_PROJECT must be set when BACKEND=gcp (the project id, e.g. my-project-123)',
    );
  }
  return {
    projectId: matching('GOOGLE_CLOUD_PROJECT', projectId, projectPattern, 'a project id'),
    pubsubTopic: pubsubId(env, 'PUBSUB_TOPIC', defaults.pubsubTopic),
    pubsubSubscription: pubsubId(env, 'PUBSUB_SUBSCRIPTION', defaults.pubsubSubscription),
    pubsubDeadLetterTopic: pubsubId(
      env,
      'PUBSUB_DEAD_LETTER_TOPIC',
      defaults.pubsubDeadLetterTopic,
    ),
    pubsubDeadLetterSubscription: pubsubId(
      env,
      'PUBSUB_DEAD_LETTER_SUBSCRIPTION',
      defaults.pubsubDeadLetterSubscription,
    ),
    pubsubStreamTopic: pubsubId(env, 'PUBSUB_STREAM_TOPIC', defaults.pubsubStreamTopic),
    pubsubStreamSubscriptionPrefix: pubsubId(
      env,
      'PUBSUB_STREAM_SUBSCRIPTION_PREFIX',
      defaults.pubsubStreamSubscriptionPrefix,
    ),
    pubsubEmulatorHost: hostPort(env, 'PUBSUB_EMULATOR_HOST'),
    firestoreDatabase: matching(
      'FIRESTORE_DATABASE',
      readString(env, 'FIRESTORE_DATABASE', defaults.firestoreDatabase),
      databasePattern,
      '"(default)" or a database id of 4-63 lowercase letters, digits and hyphens',
    ),
    firestoreCollectionPrefix: matching(
      'FIRESTORE_COLLECTION_PREFIX',
      readString(env, 'FIRESTORE_COLLECTION_PREFIX', defaults.firestoreCollectionPrefix),
      collectionPrefixPattern,
      'up to 100 letters, digits, "_" and "-"',
    ),
    firestoreEmulatorHost: hostPort(env, 'FIRESTORE_EMULATOR_HOST'),
    retentionDays: readInteger(
      env,
      'RETENTION_DAYS',
      { min: 1, max: 3_650 },
      defaults.retentionDays,
    ),
    callDeadlineMs: readInteger(
      env,
      'GCP_CALL_DEADLINE_MS',
      { min: 100, max: 600_000 },
      defaults.callDeadlineMs,
    ),
  };
}

function pubsubId(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  return matching(name, value, pubsubIdPattern, '3-255 characters starting with a letter');
}

function hostPort(env: Env, name: string): string | null {
  const raw = readRaw(env, name);
  return raw === undefined ? null : matching(name, raw, hostPortPattern, 'host:port');
}

function matching(name: string, value: string, pattern: RegExp, form: string): string {
  if (!pattern.test(value)) {
    throw new ConfigError(name, `${name} must be ${form}, got "${value}"`);
  }
  return value;
}
