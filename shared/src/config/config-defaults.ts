/**
 * Every default of the process configuration, in one object: each field opens its comment
 * with the variable it is the default of and ends with `@default` (the value as the README's
 * configuration tables show it; config-defaults.test.ts checks both against this object).
 * Units are part of the names: the variables count seconds where a person sets them, and
 * config-durations.ts turns them into the milliseconds the code works in, in one place.
 * `loadConfig` applies these when a variable is unset or blank; the ranges it enforces live
 * next to each read. null: no fixed default, derived at run time as the comment says.
 */
/** HOST's value for every interface. */
export const allInterfaces = '0.0.0.0';

export const configDefaults = {
  /**
   * `PORT`: Cloud Run injects it; 8080 is also its default. 0 picks a free port (tests).
   * @default 8080
   */
  port: 8080,
  /**
   * `HOST`: null (unset) is all interfaces ({@link allInterfaces}), as a container must
   * accept traffic from outside itself; except `npm start` with the API open (no keys),
   * which listens on loopback only (standalone/src/local-security-defaults.ts).
   * @default null
   */
  host: null,
  /**
   * `PRODUCTION`: a deployment: API keys (unless AUTH_MODE=open) and webhook secrets are
   * required, and emulators are refused. Off unless set (Terraform sets it), so the backend
   * alone never decides it (see production-setting.ts).
   * @default false
   */
  production: false,
  /**
   * `BACKEND`: local and tests need no cloud: SQLite queue and store.
   * @default 'embedded'
   */
  backend: 'embedded',
  /**
   * `DATA_DIR`: folder of the embedded SQLite database (gitignored).
   * @default './.data'
   */
  dataDir: './.data',
  /**
   * `MODEL_CACHE_DIR`: the worker builds or hydrates the model here, shared by the
   * processes of one host.
   * @default './.cache/models'
   */
  modelCacheDir: './.cache/models',
  /**
   * `DEVICE`: the tested path; cuda needs the CUDA execution provider in the image.
   * @default 'cpu'
   */
  device: 'cpu',
  /**
   * `MODEL_DTYPE`: fp32: greedy output equals transformers.js; q8 is an opt-in for speed.
   * @default 'fp32'
   */
  modelDtype: 'fp32',
  /**
   * `MAX_BATCH`: most rows running at once. null: derived from the KV budget and the
   * measured best batch size (32 on 2 vCPU; worker/src/engine/kv-budget.ts), so a user who
   * sets nothing gets the fast configuration.
   * @default null
   */
  maxBatch: null,
  /**
   * `KV_CACHE_MB`: KV-cache budget of all running rows. null: half the memory left after
   * the model.
   * @default null
   */
  kvCacheMb: null,
  /**
   * `BATCH_POLICY`: continuous: jobs join the running batch between decode steps; static:
   * the old policy.
   * @default 'continuous'
   */
  batchPolicy: 'continuous',
  /**
   * `BATCH_WINDOW_MS`: how long the worker gathers jobs for a batch: short, so a lone job
   * is not delayed.
   * @default 5
   */
  batchWindowMs: 5,
  /**
   * `LEASE_SECONDS`: queue and store lease; renewed (every third of it) while a generation
   * runs, so it bounds crash recovery: a killed worker's jobs run again about 10 s later.
   * 10 s is Pub/Sub's shortest ack deadline. The price is one store write and one
   * ack-deadline extension per running job every 3.3 s instead of every 20 s: a few extra
   * Firestore writes per job, chosen over a worker liveness record, which would need a new
   * record, a sweep and a port method on both backends to save them.
   * @default 10
   */
  leaseSeconds: 10,
  /**
   * `MAX_ATTEMPTS`: deliveries before a job is dead-lettered and failed (Pub/Sub allows
   * 5-100).
   * @default 5
   */
  maxAttempts: 5,
  /**
   * `SHUTDOWN_GRACE_SECONDS`: Cloud Run sends SIGKILL 10 s after SIGTERM.
   * @default 10
   */
  shutdownGraceSeconds: 10,
  /**
   * `LOG_LEVEL`: JSON lines at info and above.
   * @default 'info'
   */
  logLevel: 'info',
  /**
   * `WORKER_MODE`: long-lived pulls forever; drain exits 0 once the queue stayed empty
   * (Cloud Run Jobs).
   * @default 'long-lived'
   */
  workerMode: 'long-lived',
  /**
   * `IDLE_EXIT_SECONDS`: idle time after which a drain-mode worker exits.
   * @default 30
   */
  drainIdleSeconds: 30,
  /**
   * `MAX_BODY_BYTES`: request body cap: fits a 10,000-item batch of short prompts (Cloud
   * Run caps HTTP/1 at 32 MiB).
   * @default 16 MiB
   */
  maxBodyBytes: 16 * 1024 * 1024,
  /**
   * `MAX_PROMPT_CHARS`: GPT-2 sees 1,024 tokens; ~4 characters a token leaves room for the
   * answer.
   * @default 4000
   */
  maxPromptChars: 4_000,
  /**
   * `MAX_BATCH_ITEMS`: items per batch; also the hard cap (larger batches are split by the
   * client).
   * @default 10000
   */
  maxBatchItems: 10_000,
  /**
   * `MAX_WAIT_SECONDS`: longest `Prefer: wait` / `?wait=` hold, so idle connections do not
   * pile up. Stays in seconds inside too: it is the API's unit for waits.
   * @default 60
   */
  maxWaitSeconds: 60,
  /**
   * `ORPHAN_AGE_SECONDS`: jobs without a published message for this long are published by
   * the API's sweeper.
   * @default 60
   */
  orphanAgeSeconds: 60,
  /**
   * `ORPHAN_SWEEP_INTERVAL_SECONDS`: how often the API looks for such jobs (and once at
   * start-up).
   * @default 30
   */
  orphanSweepIntervalSeconds: 30,

  /**
   * `AUTH_MODE`: null: required when keys are configured or PRODUCTION is on, else open.
   * @default null
   */
  authMode: null,
  /**
   * `RATE_LIMIT_PER_MINUTE`: ten a second per key, sustained over a minute: room for
   * scripts, a brake on runaways.
   * @default 600
   */
  rateLimitPerMinute: 600,

  /**
   * `WEBHOOK_RETRY_SCHEDULE`: the Standard Webhooks schedule: immediately, 5 s, 5 min,
   * 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (~3 days in all).
   * @default '0,5s,5m,30m,2h,5h,10h,14h,20h,24h'
   */
  webhookRetrySchedule: '0,5s,5m,30m,2h,5h,10h,14h,20h,24h',
  /**
   * `WEBHOOK_TIMEOUT_MS`: Standard Webhooks suggests 15-30 s; 10 s keeps a slow receiver
   * from tying up workers.
   * @default 10000
   */
  webhookTimeoutMs: 10_000,
  /**
   * `WEBHOOK_CONCURRENCY`: attempts mostly wait on the network, so many run at once on one
   * core.
   * @default 32
   */
  webhookConcurrency: 32,
  /**
   * `WEBHOOK_ALLOW_HOSTS`: null (unset) is strict, except that `npm start` then allows
   * loopback (and says so).
   * @default null
   */
  webhookAllowHosts: null,
  /**
   * `WEBHOOK_ALLOW_PRIVATE`: private ranges stay behind the SSRF guard unless a developer
   * lets them through.
   * @default false
   */
  webhookAllowPrivate: false,
  /**
   * `WEBHOOK_PUBSUB_TOPIC`: the delivery queue's topic on BACKEND=gcp.
   * @default 'warmgen-webhooks'
   */
  webhookPubsubTopic: 'warmgen-webhooks',
  /**
   * `WEBHOOK_PUBSUB_SUBSCRIPTION`: the delivery queue's subscription on BACKEND=gcp.
   * @default 'warmgen-webhooks-delivery'
   */
  webhookPubsubSubscription: 'warmgen-webhooks-delivery',

  /**
   * `MODEL_NAME`: what the default model folder holds: GPT-2 (or its tiny stand-in, same
   * tokenizer).
   * @default 'gpt2'
   */
  modelName: 'gpt2',
  /**
   * `OPENAI_MAX_FILE_BYTES`: OpenAI's Batch API limit per input file (also the most it
   * may be set to).
   * @default 209715200
   */
  openaiMaxFileBytes: 200 * 1024 * 1024,
  /**
   * `OPENAI_MAX_FILE_LINES`: OpenAI's Batch API limit per input file (also the most it may
   * be set to).
   * @default 50000
   */
  openaiMaxFileLines: 50_000,
  /**
   * `OPENAI_FILES_URI`: null (unset): no Cloud Storage folder, so Files and Batches are off
   * on BACKEND=gcp.
   * @default null
   */
  openaiFilesUri: null,

  /**
   * `SCALE_MODE`: a deployment opts in to the launcher, and then must name what it scales.
   * @default 'off'
   */
  scaleMode: 'off',
  /**
   * `SCALE_MIN_WORKERS`: a pool may go to zero.
   * @default 0
   */
  scaleMinWorkers: 0,
  /**
   * `SCALE_MAX_WORKERS`: a cap on spend until a deployment raises it.
   * @default 10
   */
  scaleMaxWorkers: 10,
  /**
   * `SCALE_JOBS_PER_WORKER`: queued jobs per task or instance.
   * @default 100
   */
  scaleJobsPerWorker: 100,
  /**
   * `SCALE_IDLE_SECONDS`: a pool shrinks after five minutes with less to do.
   * @default 300
   */
  scaleIdleSeconds: 300,
  /**
   * `SCALE_INTERVAL_SECONDS`: the timer between decisions (accepted work also triggers one).
   * @default 15
   */
  scaleIntervalSeconds: 15,
  /**
   * `HEARTBEAT_SECONDS`: a worker's heartbeat (GET /v1/capacity) costs one small write per
   * interval; its record expires after four.
   * @default 5
   */
  heartbeatSeconds: 5,

  /**
   * `STREAM_INTERVAL_MS`: live output: a running row's text goes to its streams at most this
   * often. 100 ms reads as live and bounds a 32-row batch to 320 chunks a second
   * (docs/live-output.md).
   * @default 100
   */
  streamIntervalMs: 100,
  /**
   * `MAX_STREAMS_PER_KEY`: open SSE streams per API key (per client address when open) in
   * one API process; past it 429. Each holds a connection and about two store reads a second.
   * @default 100
   */
  maxStreamsPerKey: 100,
  /**
   * `STREAM_KEEPALIVE_MS`: a stream with nothing to say (a queued job) sends a comment this
   * often, well inside the idle timeouts of proxies and load balancers (60 s and more).
   * @default 15000
   */
  streamKeepAliveMs: 15_000,

  // Google Cloud (BACKEND=gcp): the names infra/ creates.
  /**
   * `PUBSUB_TOPIC`: the job queue's topic.
   * @default 'warmgen-jobs'
   */
  pubsubTopic: 'warmgen-jobs',
  /**
   * `PUBSUB_SUBSCRIPTION`: the workers' subscription to it.
   * @default 'warmgen-jobs-worker'
   */
  pubsubSubscription: 'warmgen-jobs-worker',
  /**
   * `PUBSUB_DEAD_LETTER_TOPIC`: where messages go after MAX_ATTEMPTS deliveries.
   * @default 'warmgen-jobs-dead-letter'
   */
  pubsubDeadLetterTopic: 'warmgen-jobs-dead-letter',
  /**
   * `PUBSUB_DEAD_LETTER_SUBSCRIPTION`: the workers fail what arrives there.
   * @default 'warmgen-jobs-dead-letter-worker'
   */
  pubsubDeadLetterSubscription: 'warmgen-jobs-dead-letter-worker',
  /**
   * `PUBSUB_STREAM_TOPIC`: live output: the topic every worker publishes to.
   * @default 'warmgen-stream'
   */
  pubsubStreamTopic: 'warmgen-stream',
  /**
   * `PUBSUB_STREAM_SUBSCRIPTION_PREFIX`: each API process subscribes to it as this plus a
   * random end (Terraform's IAM condition names the same prefix).
   * @default 'warmgen-stream-api'
   */
  pubsubStreamSubscriptionPrefix: 'warmgen-stream-api',
  /**
   * `FIRESTORE_DATABASE`: the project's default database.
   * @default '(default)'
   */
  firestoreDatabase: '(default)',
  /**
   * `FIRESTORE_COLLECTION_PREFIX`: collections are jobs, batches and idempotency_keys.
   * @default ''
   */
  firestoreCollectionPrefix: '',
  /**
   * `RETENTION_DAYS`: finished jobs are kept a month, then Firestore's TTL policy deletes
   * them.
   * @default 30
   */
  retentionDays: 30,
  /**
   * `GCP_CALL_DEADLINE_MS`: how long the API waits on one Firestore or Pub/Sub call before
   * it answers 503 `deadline_exceeded` (a cut-off backend would otherwise hold a request
   * for the client libraries' 10 minutes of retries). Calls take milliseconds when healthy.
   * @default 10000
   */
  callDeadlineMs: 10_000,
} as const;
