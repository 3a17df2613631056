/**
 * The run loop's tunables. The first six come from the worker's configuration (environment,
 * parsed once at start-up); the rest have defaults that suit every deployment seen so far.
 */
/**
 * How the loop feeds the engine:
 *   continuous  claim a job whenever a row slot is free; rows join the running batch
 *               between decode steps (the default)
 *   static      the old policy, kept for comparison (bench:mixed): gather a batch, run it
 *               until its last row ends, only then gather the next
 */
export const batchPolicies = ['continuous', 'static'] as const;
export type BatchPolicy = (typeof batchPolicies)[number];

export interface RunLoopConfig {
  /** Most jobs running at once (further capped by the engine's maxBatchSize). */
  maxBatch: number;
  /** Default continuous. */
  batchPolicy?: BatchPolicy | undefined;
  /** After the first message arrives, how long to keep pulling to fill the batch. */
  batchWindowMs: number;
  /** Queue and store lease per claim; renewed while generating. */
  leaseMs: number;
  /** A job claimed more often than this is failed with 'max_attempts_exceeded'. */
  maxAttempts: number;
  /** On stop(), how long in-flight generation may run before its jobs are released. */
  shutdownGraceMs: number;
  /** Drain mode: resolve `done` once no message arrived for this long. Unset = run forever. */
  idleExitMs?: number | undefined;
  /** How long one pull waits for a first message; also bounds how soon stop() is noticed. */
  pullWaitMs?: number | undefined;
  /** Longest a batch keeps gathering while messages keep arriving (see gather-batch.ts). */
  batchGatherCapMs?: number | undefined;
  /** Lease renewal period while generating (default leaseMs / 3). */
  leaseRenewMs?: number | undefined;
  /** How often in-flight jobs are read back to notice a cancel request. */
  cancelPollMs?: number | undefined;
  /** How often the dead-letter path is drained. */
  deadLetterIntervalMs?: number | undefined;
  /** Pause after a failed pull, so an outage backs off instead of hot-looping. */
  errorBackoffMs?: number | undefined;
  /** After aborting rows at the end of the grace period, how long to wait for them to stop. */
  abortSettleMs?: number | undefined;
  /** A failed final write is retried after this, then after twice as long, and so on... */
  settleRetryFirstMs?: number | undefined;
  /** ...up to this between tries, while the lease is held. */
  settleRetryMaxMs?: number | undefined;
}

/** Every tunable set; idleExitMs null when the loop runs until stopped. */
export type ResolvedRunLoopConfig = {
  readonly [K in Exclude<keyof RunLoopConfig, 'idleExitMs' | 'batchPolicy'>]-?: number;
} & { readonly idleExitMs: number | null; readonly batchPolicy: BatchPolicy };

/** Defaults for the optional tunables, each with its reason. */
export const runLoopDefaults = {
  /** Short enough that stop() is noticed within a second, long enough not to spin. */
  pullWaitMs: 1_000,
  /**
   * A burst of concurrent submissions arrives over tens of milliseconds; a quarter second
   * fills a batch from it while staying small next to a generation's seconds.
   */
  batchGatherCapMs: 250,
  /** Three renewals per lease period: one lost renewal still leaves time for the next. */
  leaseRenewFraction: 1 / 3,
  /** A canceled row stops within about this plus one decode step. */
  cancelPollMs: 300,
  /** Dead letters are rare; a few seconds' delay in failing them is invisible to users. */
  deadLetterIntervalMs: 5_000,
  errorBackoffMs: 1_000,
  /** Rows notice an abort at their next decode step, which takes milliseconds. */
  abortSettleMs: 2_000,
  /**
   * A store that failed a write (a full disk, a service hiccup) is often back within a
   * second; after that, a try every 2 s finishes the job within 2 s of the store's return
   * (the target is 10 s) for one small write per settling row.
   */
  settleRetryFirstMs: 250,
  settleRetryMaxMs: 2_000,
} as const;

export function resolveRunLoopConfig(config: RunLoopConfig): ResolvedRunLoopConfig {
  for (const key of [
    'maxBatch',
    'batchWindowMs',
    'leaseMs',
    'maxAttempts',
    'shutdownGraceMs',
  ] as const) {
    const value = config[key];
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`run loop config ${key} must be a non-negative number, got ${value}`);
    }
  }
  if (config.maxBatch < 1 || config.leaseMs < 1 || config.maxAttempts < 1) {
    throw new RangeError('run loop config maxBatch, leaseMs and maxAttempts must be at least 1');
  }
  return {
    maxBatch: Math.floor(config.maxBatch),
    batchWindowMs: config.batchWindowMs,
    leaseMs: config.leaseMs,
    maxAttempts: config.maxAttempts,
    shutdownGraceMs: config.shutdownGraceMs,
    idleExitMs: config.idleExitMs ?? null,
    batchPolicy: config.batchPolicy ?? 'continuous',
    pullWaitMs: config.pullWaitMs ?? runLoopDefaults.pullWaitMs,
    batchGatherCapMs: config.batchGatherCapMs ?? runLoopDefaults.batchGatherCapMs,
    leaseRenewMs:
      config.leaseRenewMs ??
      Math.max(1, Math.floor(config.leaseMs * runLoopDefaults.leaseRenewFraction)),
    cancelPollMs: config.cancelPollMs ?? runLoopDefaults.cancelPollMs,
    deadLetterIntervalMs: config.deadLetterIntervalMs ?? runLoopDefaults.deadLetterIntervalMs,
    errorBackoffMs: config.errorBackoffMs ?? runLoopDefaults.errorBackoffMs,
    abortSettleMs: config.abortSettleMs ?? runLoopDefaults.abortSettleMs,
    settleRetryFirstMs: config.settleRetryFirstMs ?? runLoopDefaults.settleRetryFirstMs,
    settleRetryMaxMs: config.settleRetryMaxMs ?? runLoopDefaults.settleRetryMaxMs,
  };
}
