import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from './auth-config.ts';
import { configDefaults } from './config-defaults.ts';
import { ConfigError } from './config-error.ts';
import { loadConfig } from './load-config.ts';
import { readScaleConfig } from './scale-config.ts';
import { readWebhookConfig } from './webhook-config.ts';

const webhookSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const apiKey = 'test-key-0123456789abcdef';

function configErrorFor(variable: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.variable, variable);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('loadConfig', () => {
  it('applies every default to an empty environment', () => {
    const config = loadConfig({});
    assert.deepEqual(config, {
      port: 8080,
      host: null,
      production: false,
      backend: 'embedded',
      dataDir: './.data',
      model: { kind: 'builtin' },
      modelCacheDir: configDefaults.modelCacheDir,
      storageApiEndpoint: null,
      device: 'cpu',
      modelDtype: 'fp32',
      logLevel: 'info',
      maxBatch: null,
      kvCacheMb: null,
      batchPolicy: 'continuous',
      batchWindowMs: 5,
      leaseSeconds: 10,
      maxAttempts: 5,
      shutdownGraceSeconds: 10,
      workerMode: 'long-lived',
      drainIdleSeconds: configDefaults.drainIdleSeconds,
      maxBodyBytes: configDefaults.maxBodyBytes,
      maxPromptChars: configDefaults.maxPromptChars,
      maxBatchItems: 10_000,
      maxWaitSeconds: 60,
      orphanAgeSeconds: 60,
      orphanSweepIntervalSeconds: 30,
      streamIntervalMs: 100,
      maxStreamsPerKey: 100,
      streamKeepAliveMs: 15_000,
      gcp: null,
      webhooks: readWebhookConfig({}, false),
      openai: {
        modelName: 'gpt2',
        maxFileBytes: 209_715_200,
        maxFileLines: 50_000,
        filesLocation: null,
      },
      auth: { mode: 'open', keyHashes: [], rateLimitPerMinute: 600 },
      cloudRun: null,
      scale: readScaleConfig({}, 'embedded'),
      durationsMs: {
        leaseMs: 10_000,
        shutdownGraceMs: 10_000,
        drainIdleMs: 30_000,
        orphanAgeMs: 60_000,
        orphanSweepIntervalMs: 30_000,
        scaleIdleMs: 300_000,
        scaleIntervalMs: 15_000,
        heartbeatMs: 5_000,
      },
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9090',
      HOST: '127.0.0.1',
      PRODUCTION: 'true',
      BACKEND: 'gcp',
      DATA_DIR: '/var/lib/warmgen',
      MODEL_URI: 'gs://my-bucket/models/gpt2/',
      MODEL_CACHE_DIR: '/tmp/models',
      DEVICE: 'cuda',
      LOG_LEVEL: 'debug',
      MAX_BATCH: '16',
      KV_CACHE_MB: '700',
      MODEL_DTYPE: 'q8',
      BATCH_POLICY: 'static',
      BATCH_WINDOW_MS: '0',
      LEASE_SECONDS: '30',
      MAX_ATTEMPTS: '7',
      SHUTDOWN_GRACE_SECONDS: '25',
      WORKER_MODE: 'drain',
      IDLE_EXIT_SECONDS: '5',
      MAX_BODY_BYTES: '2048',
      MAX_PROMPT_CHARS: '100',
      MAX_BATCH_ITEMS: '50',
      MAX_WAIT_SECONDS: '0',
      ORPHAN_AGE_SECONDS: '120',
      ORPHAN_SWEEP_INTERVAL_SECONDS: '10',
      STREAM_INTERVAL_MS: '250',
      MAX_STREAMS_PER_KEY: '3',
      STREAM_KEEPALIVE_MS: '2000',
      GOOGLE_CLOUD_PROJECT: 'my-project-123',
      WEBHOOK_SECRETS: webhookSecret,
      API_KEYS: apiKey,
      STORAGE_API_ENDPOINT: 'https://storage.example.com/',
      CLOUD_RUN_JOB: 'warmgen-worker',
      CLOUD_RUN_EXECUTION: 'warmgen-worker-x7k2p',
      CLOUD_RUN_TASK_INDEX: '2',
      CLOUD_RUN_TASK_COUNT: '4',
      CLOUD_RUN_TASK_ATTEMPT: '1',
      MODEL_NAME: 'gpt2-medium',
      OPENAI_MAX_FILE_BYTES: '1048576',
      OPENAI_MAX_FILE_LINES: '1000',
      OPENAI_FILES_URI: 'gs://my-files/openai/',
      SCALE_MODE: 'job',
      SCALE_JOB: 'projects/my-project-123/locations/europe-west4/jobs/warmgen-worker',
      SCALE_MAX_WORKERS: '8',
      SCALE_JOBS_PER_WORKER: '40',
      SCALE_IDLE_SECONDS: '60',
      SCALE_INTERVAL_SECONDS: '5',
      HEARTBEAT_SECONDS: '2',
    });
    assert.deepEqual(config, {
      port: 9090,
      host: '127.0.0.1',
      production: true,
      backend: 'gcp',
      dataDir: '/var/lib/warmgen',
      model: { kind: 'gcs', bucket: 'my-bucket', prefix: 'models/gpt2' },
      modelCacheDir: '/tmp/models',
      storageApiEndpoint: 'https://storage.example.com',
      device: 'cuda',
      modelDtype: 'q8',
      logLevel: 'debug',
      maxBatch: 16,
      kvCacheMb: 700,
      batchPolicy: 'static',
      batchWindowMs: 0,
      leaseSeconds: 30,
      maxAttempts: 7,
      shutdownGraceSeconds: 25,
      workerMode: 'drain',
      drainIdleSeconds: 5,
      maxBodyBytes: 2048,
      maxPromptChars: 100,
      maxBatchItems: 50,
      maxWaitSeconds: 0,
      orphanAgeSeconds: 120,
      orphanSweepIntervalSeconds: 10,
      streamIntervalMs: 250,
      maxStreamsPerKey: 3,
      streamKeepAliveMs: 2_000,
      openai: {
        modelName: 'gpt2-medium',
        maxFileBytes: 1_048_576,
        maxFileLines: 1000,
        filesLocation: { bucket: 'my-files', prefix: 'openai' },
      },
      gcp: {
        projectId: 'my-project-123',
        pubsubTopic: 'warmgen-jobs',
        pubsubSubscription: 'warmgen-jobs-worker',
        pubsubDeadLetterTopic: 'warmgen-jobs-dead-letter',
        pubsubDeadLetterSubscription: 'warmgen-jobs-dead-letter-worker',
        pubsubStreamTopic: 'warmgen-stream',
        pubsubStreamSubscriptionPrefix: 'warmgen-stream-api',
        pubsubEmulatorHost: null,
        firestoreDatabase: '(default)',
        firestoreCollectionPrefix: '',
        firestoreEmulatorHost: null,
        retentionDays: 30,
        callDeadlineMs: 10_000,
      },
      webhooks: { ...readWebhookConfig({}, false), secrets: [webhookSecret] },
      auth: { mode: 'required', keyHashes: [sha256Hex(apiKey)], rateLimitPerMinute: 600 },
      cloudRun: {
        job: 'warmgen-worker',
        execution: 'warmgen-worker-x7k2p',
        taskIndex: 2,
        taskCount: 4,
        taskAttempt: 1,
      },
      scale: {
        mode: 'job',
        job: 'projects/my-project-123/locations/europe-west4/jobs/warmgen-worker',
        workerPool: null,
        minWorkers: 0,
        maxWorkers: 8,
        jobsPerWorker: 40,
        idleSeconds: 60,
        intervalSeconds: 5,
        heartbeatSeconds: 2,
        apiEndpoint: null,
      },
      // The *Seconds above, in the milliseconds the code counts in (converted once).
      durationsMs: {
        leaseMs: 30_000,
        shutdownGraceMs: 25_000,
        drainIdleMs: 5_000,
        orphanAgeMs: 120_000,
        orphanSweepIntervalMs: 10_000,
        scaleIdleMs: 60_000,
        scaleIntervalMs: 5_000,
        heartbeatMs: 2_000,
      },
    });
    assert.ok(Object.isFrozen(config.scale));
    assert.ok(Object.isFrozen(config.gcp));
    assert.ok(Object.isFrozen(config.cloudRun));
    assert.ok(Object.isFrozen(config.webhooks));
    assert.ok(Object.isFrozen(config.auth));
  });

  it('returns a frozen object, model location included', () => {
    const config = loadConfig({ MODEL_URI: './models/tiny' });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.model));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
  });

  it('treats blank values as unset and trims surrounding spaces', () => {
    const config = loadConfig({ PORT: '  ', MAX_BATCH: ' 4 ', DEVICE: ' CUDA ' });
    assert.equal(config.port, 8080);
    assert.equal(config.maxBatch, 4);
    assert.equal(config.device, 'cuda');
  });

  it('rejects a non-integer or out-of-range number, naming the variable and the range', () => {
    assert.throws(() => loadConfig({ PORT: 'http' }), configErrorFor('PORT', /0 to 65535.*"http"/));
    assert.throws(() => loadConfig({ PORT: '70000' }), configErrorFor('PORT', /integer/));
    assert.throws(() => loadConfig({ MAX_BATCH: '8.5' }), configErrorFor('MAX_BATCH', /1 to 256/));
    assert.throws(() => loadConfig({ MAX_BATCH: '0' }), configErrorFor('MAX_BATCH', /1 to 256/));
    assert.throws(
      () => loadConfig({ KV_CACHE_MB: '0' }),
      configErrorFor('KV_CACHE_MB', /1 to 1048576/),
    );
    assert.throws(
      () => loadConfig({ KV_CACHE_MB: '1.5' }),
      configErrorFor('KV_CACHE_MB', /integer/),
    );
    assert.throws(
      () => loadConfig({ BATCH_POLICY: 'dynamic' }),
      configErrorFor('BATCH_POLICY', /continuous, static/),
    );
    assert.throws(
      () => loadConfig({ MODEL_DTYPE: 'int4' }),
      configErrorFor('MODEL_DTYPE', /fp32, q8/),
    );
    assert.throws(
      () => loadConfig({ BATCH_WINDOW_MS: '1e3' }),
      configErrorFor('BATCH_WINDOW_MS', /integer/),
    );
    assert.throws(
      () => loadConfig({ LEASE_SECONDS: '-1' }),
      configErrorFor('LEASE_SECONDS', /1 to 600/),
    );
  });

  it('caps batch items at 10,000 whatever the variable says', () => {
    assert.equal(loadConfig({ MAX_BATCH_ITEMS: '10000' }).maxBatchItems, 10_000);
    assert.throws(
      () => loadConfig({ MAX_BATCH_ITEMS: '10001' }),
      configErrorFor('MAX_BATCH_ITEMS', /1 to 10000/),
    );
  });

  it('rejects an unknown choice, listing the allowed ones', () => {
    assert.throws(
      () => loadConfig({ BACKEND: 'redis' }),
      configErrorFor('BACKEND', /embedded, gcp/),
    );
    assert.throws(() => loadConfig({ DEVICE: 'gpu' }), configErrorFor('DEVICE', /cpu, cuda/));
    assert.throws(() => loadConfig({ LOG_LEVEL: 'verbose' }), configErrorFor('LOG_LEVEL', /debug/));
    assert.throws(
      () => loadConfig({ WORKER_MODE: 'once' }),
      configErrorFor('WORKER_MODE', /drain/),
    );
  });

  it('holds leases and attempts to what Pub/Sub accepts on the gcp backend only', () => {
    assert.equal(loadConfig({ LEASE_SECONDS: '2', MAX_ATTEMPTS: '1' }).leaseSeconds, 2);
    assert.throws(
      () => loadConfig({ BACKEND: 'gcp', PRODUCTION: 'false', LEASE_SECONDS: '2' }),
      configErrorFor('LEASE_SECONDS', /10 to 600/),
    );
    assert.throws(
      () => loadConfig({ BACKEND: 'gcp', PRODUCTION: 'false', MAX_ATTEMPTS: '3' }),
      configErrorFor('MAX_ATTEMPTS', /5 to 100/),
    );
  });

  it('takes PRODUCTION as its own setting: not implied by the backend, refused when contradictory', () => {
    const project = { GOOGLE_CLOUD_PROJECT: 'my-project-123' };
    const emulators = { PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' };
    const secrets = { API_KEYS: apiKey, WEBHOOK_SECRETS: webhookSecret };
    // Off by default, on either backend: the Google Cloud adapters on emulators need no keys.
    assert.equal(loadConfig({}).production, false);
    const onEmulators = loadConfig({ BACKEND: 'gcp', ...project, ...emulators });
    assert.equal(onEmulators.production, false);
    assert.equal(onEmulators.auth.mode, 'open');
    // On, it requires keys and secrets whatever the backend (SQLite can serve a deployment).
    assert.throws(
      () => loadConfig({ PRODUCTION: 'true', API_KEYS: apiKey }),
      configErrorFor('WEBHOOK_SECRETS', /PRODUCTION=true/),
    );
    assert.throws(
      () => loadConfig({ PRODUCTION: 'true', WEBHOOK_SECRETS: webhookSecret }),
      configErrorFor('API_KEYS', /PRODUCTION=true/),
    );
    const embedded = loadConfig({ PRODUCTION: 'true', ...secrets });
    assert.equal(embedded.production, true);
    assert.equal(embedded.auth.mode, 'required');
    // AUTH_MODE=open stays a deliberate choice (workers; an API behind Cloud Run IAM).
    assert.equal(
      loadConfig({ PRODUCTION: 'true', AUTH_MODE: 'open', WEBHOOK_SECRETS: webhookSecret }).auth
        .mode,
      'open',
    );
    // Contradictions stop the start-up, naming PRODUCTION.
    assert.throws(
      () =>
        loadConfig({ PRODUCTION: 'true', ...secrets, BACKEND: 'gcp', ...project, ...emulators }),
      configErrorFor('PRODUCTION', /contradicts PUBSUB_EMULATOR_HOST/),
    );
    assert.throws(
      () =>
        loadConfig({ PRODUCTION: 'true', ...secrets, FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086' }),
      configErrorFor('PRODUCTION', /contradicts FIRESTORE_EMULATOR_HOST/),
    );
    // BACKEND=gcp on Google Cloud itself used to mean production: it must now say which.
    assert.throws(
      () => loadConfig({ BACKEND: 'gcp', ...project, ...secrets }),
      configErrorFor('PRODUCTION', /must be set when BACKEND=gcp/),
    );
    assert.equal(loadConfig({ BACKEND: 'gcp', PRODUCTION: 'false', ...project }).auth.mode, 'open');
    assert.throws(
      () => loadConfig({ PRODUCTION: 'maybe' }),
      configErrorFor('PRODUCTION', /true or false/),
    );
  });

  it('ignores variables it does not know', () => {
    assert.equal(loadConfig({ PATH: '/usr/bin', UNRELATED: 'x' }).port, 8080);
  });
});
