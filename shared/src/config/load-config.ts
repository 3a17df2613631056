import { type AuthConfig, readAuthConfig } from './auth-config.ts';
import { type CloudRunTask, readCloudRunTask } from './cloud-run-task.ts';
import { configDefaults as defaults } from './config-defaults.ts';
import { type ConfigDurationsMs, configDurationsMs } from './config-durations.ts';
import { type GcpConfig, readGcpConfig } from './gcp-config.ts';
import { type ModelLocation, readModelLocation } from './model-location.ts';
import { type OpenAiConfig, readOpenAiConfig } from './openai-config.ts';
import {
  type Env,
  readChoice,
  readInteger,
  readOptionalInteger,
  readRaw,
  readString,
} from './parse-env.ts';
import { readProduction } from './production-setting.ts';
import { readScaleConfig, type ScaleConfig } from './scale-config.ts';
import { readStorageApiEndpoint } from './storage-api-endpoint.ts';
import { readWebhookConfig, type WebhookConfig } from './webhook-config.ts';

export const backends = ['embedded', 'gcp'] as const;
/** BACKEND's values (the opened adapters are adapters/open-backend.ts's Backend). */
export type BackendKind = (typeof backends)[number];
export const devices = ['cpu', 'cuda', 'webgpu'] as const;
export type Device = (typeof devices)[number];
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];
export const workerModes = ['long-lived', 'drain'] as const;
export const batchPolicies = ['continuous', 'static'] as const;
export const modelDtypes = ['fp32', 'q8'] as const;
export type ModelDtype = (typeof modelDtypes)[number];
export type BatchPolicy = (typeof batchPolicies)[number];
export type WorkerMode = (typeof workerModes)[number];

/** Hard cap on batch size whatever MAX_BATCH_ITEMS says (product limit). */
export const maxBatchItemsCap = 10_000;

/**
 * The configuration of every warmgen process (API, worker, or both in one process).
 * Each process reads the fields it needs. Another backend adds its own section (for
 * example `gcp`, read only when backend is gcp) instead of loosening these fields.
 */
export interface Config {
  /** HTTP listener (API; the worker serves health on it too). */
  readonly port: number;
  /** HOST, or null when unset (see configDefaults.host). */
  readonly host: string | null;
  /** PRODUCTION: a deployment (keys and webhook secrets required); see production-setting.ts. */
  readonly production: boolean;
  readonly backend: BackendKind;
  /** Folder of the embedded SQLite database. */
  readonly dataDir: string;
  /** MODEL_URI, parsed. */
  readonly model: ModelLocation;
  readonly modelCacheDir: string;
  /** STORAGE_API_ENDPOINT: the Cloud Storage API origin for gs:// models; null = the real service. */
  readonly storageApiEndpoint: string | null;
  readonly device: Device;
  /** MODEL_DTYPE: the engine's weights (q8: 8-bit linear weights, opt-in). */
  readonly modelDtype: ModelDtype;
  readonly logLevel: LogLevel;

  // Worker
  /** MAX_BATCH; null = the engine's default (from the KV budget). */
  readonly maxBatch: number | null;
  /** KV_CACHE_MB; null = derived from the memory limit and the model's size. */
  readonly kvCacheMb: number | null;
  readonly batchPolicy: BatchPolicy;
  readonly batchWindowMs: number;
  readonly leaseSeconds: number;
  readonly maxAttempts: number;
  readonly shutdownGraceSeconds: number;
  readonly workerMode: WorkerMode;
  readonly drainIdleSeconds: number;

  // API limits
  readonly maxBodyBytes: number;
  readonly maxPromptChars: number;
  readonly maxBatchItems: number;
  readonly maxWaitSeconds: number;

  // Live output (SSE)
  readonly streamIntervalMs: number;
  readonly maxStreamsPerKey: number;
  readonly streamKeepAliveMs: number;

  // API: the orphan sweeper (jobs written whose queue message was never published)
  readonly orphanAgeSeconds: number;
  readonly orphanSweepIntervalSeconds: number;

  /** Pub/Sub and Firestore settings; null unless backend is gcp. */
  readonly gcp: GcpConfig | null;

  /** Signing, retries and the SSRF allowlist (WEBHOOK_*). */
  readonly webhooks: WebhookConfig;
  /** The OpenAI-compatible surface: MODEL_NAME, OPENAI_MAX_FILE_BYTES, OPENAI_MAX_FILE_LINES. */
  readonly openai: OpenAiConfig;
  /** API keys and submission rate limits (AUTH_MODE, API_KEYS, API_KEY_HASHES, RATE_LIMIT_PER_MINUTE). */
  readonly auth: AuthConfig;
  /** The Cloud Run Job task this process runs as (CLOUD_RUN_*, set by Cloud Run); else null. */
  readonly cloudRun: CloudRunTask | null;
  /** The launcher: workers started or sized from the backlog (SCALE_*); mode off by default. */
  readonly scale: ScaleConfig;
  /** The *Seconds settings above in milliseconds, converted once (config-durations.ts). */
  readonly durationsMs: ConfigDurationsMs;
}

/**
 * Parses and validates the environment once, at start-up. Pure: reads only `env`.
 * Throws ConfigError naming the first bad variable and the form it expects.
 */
export function loadConfig(env: Env): Config {
  const backend = readChoice(env, 'BACKEND', backends, defaults.backend);
  const production = readProduction(env, backend);
  const config: Omit<Config, 'durationsMs'> = {
    port: readInteger(env, 'PORT', { min: 0, max: 65_535 }, defaults.port),
    host: readRaw(env, 'HOST') ?? defaults.host,
    production,
    backend,
    dataDir: readString(env, 'DATA_DIR', defaults.dataDir),
    model: Object.freeze(readModelLocation(env, 'MODEL_URI')),
    modelCacheDir: readString(env, 'MODEL_CACHE_DIR', defaults.modelCacheDir),
    storageApiEndpoint: readStorageApiEndpoint(env),
    device: readChoice(env, 'DEVICE', devices, defaults.device),
    modelDtype: readChoice(env, 'MODEL_DTYPE', modelDtypes, defaults.modelDtype),
    logLevel: readChoice(env, 'LOG_LEVEL', logLevels, defaults.logLevel),

    maxBatch: readOptionalInteger(env, 'MAX_BATCH', { min: 1, max: 256 }) ?? defaults.maxBatch,
    kvCacheMb:
      readOptionalInteger(env, 'KV_CACHE_MB', { min: 1, max: 1_048_576 }) ?? defaults.kvCacheMb,
    batchPolicy: readChoice(env, 'BATCH_POLICY', batchPolicies, defaults.batchPolicy),
    batchWindowMs: readInteger(
      env,
      'BATCH_WINDOW_MS',
      { min: 0, max: 10_000 },
      defaults.batchWindowMs,
    ),
    // Pub/Sub ack deadlines run 10-600 s; the embedded queue also accepts shorter ones.
    leaseSeconds: readInteger(
      env,
      'LEASE_SECONDS',
      backend === 'gcp' ? { min: 10, max: 600 } : { min: 1, max: 600 },
      defaults.leaseSeconds,
    ),
    // Pub/Sub's dead-letter policy accepts 5-100 delivery attempts.
    maxAttempts: readInteger(
      env,
      'MAX_ATTEMPTS',
      backend === 'gcp' ? { min: 5, max: 100 } : { min: 1, max: 100 },
      defaults.maxAttempts,
    ),
    shutdownGraceSeconds: readInteger(
      env,
      'SHUTDOWN_GRACE_SECONDS',
      { min: 0, max: 3_600 },
      defaults.shutdownGraceSeconds,
    ),
    workerMode: readChoice(env, 'WORKER_MODE', workerModes, defaults.workerMode),
    drainIdleSeconds: readInteger(
      env,
      'IDLE_EXIT_SECONDS',
      { min: 0, max: 86_400 },
      defaults.drainIdleSeconds,
    ),

    maxBodyBytes: readInteger(
      env,
      'MAX_BODY_BYTES',
      { min: 1_024, max: 256 * 1024 * 1024 },
      defaults.maxBodyBytes,
    ),
    maxPromptChars: readInteger(
      env,
      'MAX_PROMPT_CHARS',
      { min: 1, max: 100_000 },
      defaults.maxPromptChars,
    ),
    maxBatchItems: readInteger(
      env,
      'MAX_BATCH_ITEMS',
      { min: 1, max: maxBatchItemsCap },
      defaults.maxBatchItems,
    ),
    maxWaitSeconds: readInteger(
      env,
      'MAX_WAIT_SECONDS',
      { min: 0, max: 3_600 },
      defaults.maxWaitSeconds,
    ),

    // The range for coalescing: fast enough to read as live, slow enough to batch.
    streamIntervalMs: readInteger(
      env,
      'STREAM_INTERVAL_MS',
      { min: 0, max: 5_000 },
      defaults.streamIntervalMs,
    ),
    maxStreamsPerKey: readInteger(
      env,
      'MAX_STREAMS_PER_KEY',
      { min: 1, max: 100_000 },
      defaults.maxStreamsPerKey,
    ),
    streamKeepAliveMs: readInteger(
      env,
      'STREAM_KEEPALIVE_MS',
      { min: 100, max: 3_600_000 },
      defaults.streamKeepAliveMs,
    ),

    orphanAgeSeconds: readInteger(
      env,
      'ORPHAN_AGE_SECONDS',
      { min: 1, max: 86_400 },
      defaults.orphanAgeSeconds,
    ),
    orphanSweepIntervalSeconds: readInteger(
      env,
      'ORPHAN_SWEEP_INTERVAL_SECONDS',
      { min: 1, max: 86_400 },
      defaults.orphanSweepIntervalSeconds,
    ),

    gcp: backend === 'gcp' ? Object.freeze(readGcpConfig(env)) : null,
    webhooks: Object.freeze(readWebhookConfig(env, production)),
    openai: Object.freeze(readOpenAiConfig(env)),
    auth: Object.freeze(readAuthConfig(env, production)),
    cloudRun: readCloudRunTask(env),
    scale: Object.freeze(readScaleConfig(env, backend)),
  };
  return Object.freeze({ ...config, durationsMs: configDurationsMs(config) });
}
