/**
 * Every default of the process configuration, in one place. Units are part of the names;
 * the comment says why a value was chosen. `loadConfig` applies these when a variable is
 * unset or blank; the ranges it enforces live next to each read in load-config.ts.
 */
/** HOST's value for every interface. */
export const allInterfaces = '0.0.0.0';

export const configDefaults = {
  /** Cloud Run injects PORT; 8080 is also its default. 0 picks a free port (tests). */
  port: 8080,
  /**
   * null (HOST unset): all interfaces ({@link allInterfaces}), as a container must accept
   * traffic from outside itself; except `npm start` with the API open (no keys), which
   * listens on loopback only (standalone/src/local-security-defaults.ts).
   */
  host: null,
  /** Local and tests need no cloud: SQLite queue and store. */
  backend: 'embedded',
  /** Folder of the embedded SQLite database (gitignored). */
  dataDir: './.data',
  /** Local cache the worker hydrates the model into, shared by processes on one host. */
  modelCacheDir: './.cache/models',
  /** The tested path; cuda needs the CUDA execution provider in the image. */
  device: 'cpu',
  /** fp32: greedy output equals transformers.js; q8 is an opt-in for speed. */
  modelDtype: 'fp32',
  /**
   * Most rows running at once. null: derived from the KV budget and the measured best batch
   * size (32 on 2 vCPU; worker/src/engine/kv-budget.ts), so a user who sets nothing gets
   * the fast configuration.
   */
  maxBatch: null,
  /** KV-cache budget of all running rows. null: half the memory left after the model. */
  kvCacheMb: null,
  /** continuous: jobs join the running batch between decode steps; static: the old policy. */
  batchPolicy: 'continuous',
  /** How long the worker gathers jobs for a batch: short, so a lone job is not delayed. */
  batchWindowMs: 5,
  /**
   * Queue and store lease; renewed (every third of it) while a generation runs, so it
   * bounds crash recovery: a killed worker's jobs run again about 10 s later. 10 s is
   * Pub/Sub's shortest ack deadline. The price is one store write and one ack-deadline
   * extension per running job every 3.3 s instead of every 20 s: a few extra Firestore
   * writes per job, chosen over a worker liveness record, which would need a new record,
   * a sweep and a port method on both backends to save them.
   */
  leaseSeconds: 10,
  /** Deliveries before a job is dead-lettered and failed (Pub/Sub allows 5-100). */
  maxAttempts: 5,
  /** Cloud Run sends SIGKILL 10 s after SIGTERM. */
  shutdownGraceSeconds: 10,
  logLevel: 'info',
  /** long-lived pulls forever; drain exits 0 once the queue stayed empty (Cloud Run Jobs). */
  workerMode: 'long-lived',
  /** Idle time after which a drain-mode worker exits. */
  drainIdleSeconds: 30,
  /** Request body cap: fits a 10,000-item batch of short prompts (Cloud Run caps HTTP/1 at 32 MiB). */
  maxBodyBytes: 16 * 1024 * 1024,
  /** GPT-2 sees 1,024 tokens; ~4 characters a token leaves room for the answer. */
  maxPromptChars: 4_000,
  /** Items per batch; also the hard cap (larger batches are split by the client). */
  maxBatchItems: 10_000,
  /** Longest `Prefer: wait` / `?wait=` hold, so idle connections do not pile up. */
  maxWaitSeconds: 60,

  /** Jobs without a published message for this long are published by the API's sweeper. */
  orphanAgeSeconds: 60,
  /** How often the API looks for such jobs (and once at start-up). */
  orphanSweepIntervalSeconds: 30,

  // Google Cloud (BACKEND=gcp): the names infra/ creates.
  pubsubTopic: 'warmgen-jobs',
  pubsubSubscription: 'warmgen-jobs-worker',
  pubsubDeadLetterTopic: 'warmgen-jobs-dead-letter',
  pubsubDeadLetterSubscription: 'warmgen-jobs-dead-letter-worker',
  firestoreDatabase: '(default)',
  /** Collections are jobs, batches and idempotency_keys. */
  firestoreCollectionPrefix: '',
  /** Finished jobs are kept a month, then Firestore's TTL policy deletes them. */
  retentionDays: 30,
} as const;
