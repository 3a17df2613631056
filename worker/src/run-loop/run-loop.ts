import { AbortReason, type BatchRow } from './batch-row.ts';
import { claimBatch } from './claim-batch.ts';
import { drainDeadLetters } from './drain-dead-letters.ts';
import { gatherBatch } from './gather-batch.ts';
import { nackMessage } from './message-acks.ts';
import { type RunningBatch, startBatch } from './run-batch.ts';
import { type RunLoopConfig, resolveRunLoopConfig } from './run-loop-config.ts';
import type { RunLoopContext } from './run-loop-context.ts';
import {
  type Logger,
  noopMetrics,
  type RunLoopEngine,
  type RunLoopMetrics,
  type RunLoopQueue,
  type RunLoopStore,
} from './run-loop-ports.ts';
import { releaseRow } from './settle-row.ts';
import { sleep } from './sleep.ts';

/**
 * The worker's run loop: pull a micro-batch, claim its jobs, generate them in one call,
 * settle each, repeat. It does no I/O of its own: the queue, store, engine and logger are
 * injected, so the same loop runs on SQLite, on Google Cloud and on plain test objects.
 *
 * Terminology:
 *   message  one queue delivery of a job id, leased to this worker for leaseMs
 *   claim    the store's conditional write that makes a job running under our lease
 *   row      a claimed job inside one generate() call, with its own AbortSignal
 *   settle   write the row's fate to the store, then ack (done) or nack (run it again)
 *
 * States:
 *   idle      created; start() not called yet
 *   running   pulling, gathering, generating; dead letters drained between batches
 *   stopping  stop() called: no more pulls. The batch in flight may finish within
 *             shutdownGraceMs; then its rows are aborted and their jobs released
 *   stopped   the loop has ended (stop() finished, or drain mode found the queue idle
 *             for idleExitMs) and `done` is resolved
 */
export const RunLoopState = {
  idle: 'idle',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
} as const;
export type RunLoopState = (typeof RunLoopState)[keyof typeof RunLoopState];

export interface RunLoopDeps {
  queue: RunLoopQueue;
  store: RunLoopStore;
  engine: RunLoopEngine;
  logger: Logger;
  metrics?: RunLoopMetrics | undefined;
  config: RunLoopConfig;
  workerId: string;
  /** Epoch milliseconds; injectable for tests. */
  now?: (() => number) | undefined;
}

export interface RunLoop {
  start(): void;
  /** Stops pulling, finishes or releases the batch in flight; resolves when the loop ended. */
  stop(): Promise<void>;
  /** Resolves when the loop has ended, by stop() or by drain mode's idle exit. */
  readonly done: Promise<void>;
  readonly state: RunLoopState;
}

export function createRunLoop(deps: RunLoopDeps): RunLoop {
  const config = resolveRunLoopConfig(deps.config);
  const ctx: RunLoopContext = {
    queue: deps.queue,
    store: deps.store,
    engine: deps.engine,
    logger: deps.logger,
    metrics: deps.metrics ?? noopMetrics,
    config,
    workerId: deps.workerId,
    now: deps.now ?? Date.now,
  };
  const { logger } = ctx;
  const capacity = Math.max(1, Math.min(config.maxBatch, deps.engine.maxBatchSize));

  let state: RunLoopState = RunLoopState.idle;
  // Read through a function so TypeScript does not narrow it across awaits: stop() changes it.
  const isRunning = (): boolean => state === RunLoopState.running;
  let current: RunningBatch | null = null;
  let loopEnded: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | null = null;
  /** Aborted by stop(): ends back-off pauses early. */
  const stopSignal = new AbortController();
  const { promise: done, resolve: resolveDone } = Promise.withResolvers<void>();

  const finish = (): void => {
    state = RunLoopState.stopped;
    resolveDone();
  };

  /** Claimed rows that cannot start because stop() came during the claim. */
  const releaseUnstarted = async (rows: readonly BatchRow[]): Promise<void> => {
    await Promise.all(rows.map((row) => releaseRow(ctx, row, 'worker stopping')));
  };

  async function runOnce(lastMessageAtMs: number): Promise<'message' | 'empty' | 'idle-exit'> {
    const messages = await gatherBatch(ctx.queue, {
      max: capacity,
      leaseMs: config.leaseMs,
      firstWaitMs: config.pullWaitMs,
      windowMs: config.batchWindowMs,
      capMs: config.batchGatherCapMs,
      now: ctx.now,
      shouldStop: () => !isRunning(),
      onLatePullError: (error) => logger.warn({ err: error }, 'pull failed while gathering'),
    });
    if (messages.length === 0) {
      const idleMs = ctx.now() - lastMessageAtMs;
      return config.idleExitMs !== null && idleMs >= config.idleExitMs ? 'idle-exit' : 'empty';
    }
    if (!isRunning()) {
      // stop() came while this pull waited: hand the messages straight back.
      await Promise.all(messages.map((message) => nackMessage(ctx, message)));
      return 'message';
    }
    logger.debug({ messages: messages.length, capacity }, 'batch gathered');
    const rows = await claimBatch(ctx, messages);
    if (rows.length === 0) {
      return 'message';
    }
    if (!isRunning()) {
      await releaseUnstarted(rows);
      return 'message';
    }
    current = startBatch(ctx, rows);
    await current.done;
    current = null;
    return 'message';
  }

  async function loop(): Promise<void> {
    let lastMessageAtMs = ctx.now();
    let lastDrainAtMs = Number.NEGATIVE_INFINITY;
    while (isRunning()) {
      try {
        if (ctx.now() - lastDrainAtMs >= config.deadLetterIntervalMs) {
          lastDrainAtMs = ctx.now();
          await drainDeadLetters(ctx);
        }
        const outcome = await runOnce(lastMessageAtMs);
        if (outcome === 'message') {
          lastMessageAtMs = ctx.now();
        } else if (outcome === 'idle-exit') {
          await drainDeadLetters(ctx);
          logger.info({ idleExitMs: config.idleExitMs }, 'queue idle; drain mode ends the loop');
          return;
        }
      } catch (error) {
        // A pull that failed (or a bug): back off instead of hot-looping against an outage.
        logger.error({ err: error }, 'run loop iteration failed; backing off');
        await sleep(config.errorBackoffMs, stopSignal.signal);
      }
    }
  }

  async function stopLoop(): Promise<void> {
    const graceOver = new AbortController();
    const ended = await Promise.race([
      loopEnded.then(() => true),
      sleep(config.shutdownGraceMs, graceOver.signal).then(() => false),
    ]);
    graceOver.abort();
    if (ended) {
      return;
    }
    const batch = current;
    if (batch === null) {
      logger.warn({}, 'loop did not end within the grace period (a pull or claim hung)');
      return;
    }
    logger.warn(
      { jobIds: batch.rows.map((row) => row.job.id), shutdownGraceMs: config.shutdownGraceMs },
      'grace period over; aborting and releasing in-flight jobs',
    );
    batch.abortAll(AbortReason.shutdown);
    const settleOver = new AbortController();
    const settled = await Promise.race([
      batch.done.then(() => true),
      sleep(config.abortSettleMs, settleOver.signal).then(() => false),
    ]);
    settleOver.abort();
    if (!settled) {
      // The engine ignored the abort: release what it still holds; its late results are
      // refused by the store's conditional writes.
      await batch.releaseUnsettled('engine did not stop after abort');
    }
  }

  return {
    get state() {
      return state;
    },
    done,
    start() {
      if (state !== RunLoopState.idle) {
        throw new Error(`run loop cannot start: it is ${state}`);
      }
      state = RunLoopState.running;
      logger.info({ workerId: ctx.workerId, capacity, ...config }, 'run loop started');
      loopEnded = loop()
        .catch((error: unknown) => logger.error({ err: error }, 'run loop crashed'))
        .finally(() => {
          if (isRunning()) {
            finish();
          }
        });
    },
    stop() {
      if (stopped !== null) {
        return stopped;
      }
      if (state !== RunLoopState.running) {
        finish();
        stopped = Promise.resolve();
        return stopped;
      }
      state = RunLoopState.stopping;
      stopSignal.abort();
      logger.info({ shutdownGraceMs: config.shutdownGraceMs }, 'run loop stopping');
      stopped = stopLoop().then(() => {
        finish();
        logger.info({}, 'run loop stopped');
      });
      return stopped;
    },
  };
}
