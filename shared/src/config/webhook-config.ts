import { webhookAddressPolicy } from '../webhooks/webhook-address-policy.ts';
import { configDefaults as defaults } from './config-defaults.ts';
import { ConfigError } from './config-error.ts';
import { type Env, readBoolean, readInteger, readRaw, readString } from './parse-env.ts';

/**
 * The webhook section of the configuration (variables WEBHOOK_*). Read by the API (the
 * SSRF allowlist, for checks at submit time) and by the delivery worker (everything).
 */
export interface WebhookConfig {
  /**
   * WEBHOOK_SECRETS: `whsec_…` signing secrets. Every request is signed with each of them
   * (several space-separated signatures), so a receiver can move to a new secret while the
   * old one is still configured. Empty only on the embedded backend, where `npm start`
   * makes one and keeps it in DATA_DIR.
   */
  readonly secrets: readonly string[];
  /**
   * WEBHOOK_RETRY_SCHEDULE: entry i is the delay before attempt i + 1, counted from the
   * attempt before it (from the event for the first, which is always 0: immediate). Its
   * length is the number of attempts before the event is dead-lettered.
   */
  readonly retryScheduleMs: readonly number[];
  /** WEBHOOK_TIMEOUT_MS: one attempt, from connect to the last byte of the answer. */
  readonly timeoutMs: number;
  /** WEBHOOK_CONCURRENCY: attempts in flight per delivery worker. */
  readonly concurrency: number;
  /**
   * WEBHOOK_ALLOW_HOSTS: names, addresses and CIDR ranges the SSRF guard lets through
   * (`loopback` = 127.0.0.0/8, ::1, localhost). null when unset: strict, except that
   * `npm start` then allows loopback (and says so). `none` means strict everywhere.
   */
  readonly allowHosts: readonly string[] | null;
  /** WEBHOOK_ALLOW_PRIVATE: also let private ranges through (local development). */
  readonly allowPrivate: boolean;
  /** The delivery queue on Pub/Sub (BACKEND=gcp): its topic and subscription ids. */
  readonly pubsubTopic: string;
  readonly pubsubSubscription: string;
}

const durationPattern = /^(\d+)(ms|s|m|h)?$/;
const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `production` (PRODUCTION=true) requires secrets: a deployment never signs with none. */
export function readWebhookConfig(env: Env, production: boolean): WebhookConfig {
  const secrets = readSecrets(env, 'WEBHOOK_SECRETS');
  if (secrets.length === 0 && production) {
    throw new ConfigError(
      'WEBHOOK_SECRETS',
      'WEBHOOK_SECRETS must be set when PRODUCTION=true (one or more whsec_… secrets, space-separated)',
    );
  }
  return {
    secrets,
    retryScheduleMs: readSchedule(env, 'WEBHOOK_RETRY_SCHEDULE'),
    timeoutMs: readInteger(
      env,
      'WEBHOOK_TIMEOUT_MS',
      { min: 100, max: 60_000 },
      defaults.webhookTimeoutMs,
    ),
    concurrency: readInteger(
      env,
      'WEBHOOK_CONCURRENCY',
      { min: 1, max: 1_000 },
      defaults.webhookConcurrency,
    ),
    allowHosts: readAllowHosts(env, 'WEBHOOK_ALLOW_HOSTS') ?? defaults.webhookAllowHosts,
    allowPrivate: readBoolean(env, 'WEBHOOK_ALLOW_PRIVATE', defaults.webhookAllowPrivate),
    pubsubTopic: readString(env, 'WEBHOOK_PUBSUB_TOPIC', defaults.webhookPubsubTopic),
    pubsubSubscription: readString(
      env,
      'WEBHOOK_PUBSUB_SUBSCRIPTION',
      defaults.webhookPubsubSubscription,
    ),
  };
}

/** Separated by spaces or commas; each a whsec_ secret of 24-64 random bytes. */
function readSecrets(env: Env, name: string): string[] {
  const raw = readRaw(env, name);
  if (raw === undefined) {
    return [];
  }
  const secrets = raw.split(/[\s,]+/).filter((s) => s !== '');
  for (const [index, secret] of secrets.entries()) {
    const bytes = secretBytes(secret);
    if (bytes === null || bytes < 24 || bytes > 64) {
      // Never echo a secret into a log: name its position instead.
      throw new ConfigError(
        name,
        `${name} entry ${index + 1} must be "whsec_" followed by base64 of 24 to 64 random bytes`,
      );
    }
  }
  return secrets;
}

function secretBytes(secret: string): number | null {
  const base64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : null;
  if (base64 === null || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    return null;
  }
  return Buffer.from(base64, 'base64').length;
}

function readSchedule(env: Env, name: string): number[] {
  const raw = readString(env, name, defaults.webhookRetrySchedule);
  const steps = raw.split(',').map((step) => step.trim());
  const schedule = steps.map((step) => {
    const match = durationPattern.exec(step);
    const unit = match?.[2] as keyof typeof unitMs | undefined;
    if (match === null || (unit === undefined && match[1] !== '0')) {
      throw new ConfigError(
        name,
        `${name} must be comma-separated delays such as 0,5s,5m,2h (units ms, s, m, h), got "${raw}"`,
      );
    }
    return Number(match[1]) * unitMs[unit ?? 'ms'];
  });
  if (schedule[0] !== 0) {
    throw new ConfigError(name, `${name} must start with 0: the first attempt is immediate`);
  }
  if (schedule.length > 50 || schedule.some((ms) => ms > 7 * 24 * 3_600_000)) {
    throw new ConfigError(name, `${name} allows at most 50 steps of at most 168h each`);
  }
  return schedule;
}

function readAllowHosts(env: Env, name: string): string[] | null {
  const raw = readRaw(env, name);
  if (raw === undefined) {
    return null;
  }
  if (raw.toLowerCase() === 'none') {
    return [];
  }
  const entries = raw.split(/[\s,]+/).filter((entry) => entry !== '');
  try {
    webhookAddressPolicy({ allowHosts: entries, allowPrivate: false });
  } catch (error) {
    throw new ConfigError(name, `${name}: ${(error as Error).message}`, { cause: error });
  }
  return entries;
}
