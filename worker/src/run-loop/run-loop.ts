import {
  createLoopLifecycle,
  type Lifecycle,
  LoopState,
} from '@warmgen/shared/lifecycle/loop-lifecycle.ts';
import { sleep } from '@warmgen/shared/lifecycle/sleep.ts';
import { withinGrace } from '@warmgen/shared/lifecycle/within-grace.ts';
import { AbortReason, abortRow, type BatchRow } from './batch-row.ts';
import { startCancelWatcher } from './cancel-watcher.ts';
import { drainDeadLetters } from './drain-dead-letters.ts';
import { gatherBatch } from './gather-batch.ts';
import { startLeaseKeeper } from './lease-keeper.ts';
import { nackMessage } from './message-acks.ts';
import { type RunLoopConfig, resolveRunLoopConfig } from './run-loop-config.ts';
import type { RunLoopContext } from './run-loop-context.ts';
import {
  type Logger,
  noopMetrics,
  type RunLoopEngine,
  type RunLoopMetrics,
  type RunLoopQueue,
  type RunLoopStore,
  type RunLoopStream,
} from './run-loop-ports.ts';
import { claimRow, runRow } from './run-row.ts';

/**
 * The worker's run loop: whenever a row slot is free, pull messages, claim their jobs and
 * hand each to the engine's running batch (continuous batching: a job starts between two
 * decode steps of the others, and each settles as soon as it ends; see run-row.ts for a
 * row's whole way). It does no I/O of its own: the queue, store, engine and logger are
 * injected, so the same loop runs on SQLite, on Google Cloud and on plain test objects.
 *
 * Terminology:
 *   message  one queue delivery of a job id, leased to this worker for leaseMs
 *   claim    the store's conditional write that makes a job running under our lease
 *   row      a claimed job in the engine's running batch, with its own AbortSignal
 *   settle   write the row's fate to the store, then ack (done) or nack (run it again)
 *
 * States (the shared loop lifecycle, shared/src/lifecycle/loop-lifecycle.ts):
 *   idle      created; start() not called yet
 *   running   pulling while a slot is free; dead letters drained every few seconds
 *   stopping  stop() called: no more pulls. Running rows may finish within
 *             shutdownGraceMs; then they are aborted and their jobs released
 *   stopped   the loop has ended (stop() finished, or drain mode found the queue idle
 *             for idleExitMs with nothing running) and `done` is resolved
 *
 * With batchPolicy 'static' (kept for comparison) the loop pulls only when nothing runs,
 * so a batch runs until its slowest row ends before the next one starts.
 */
export const RunLoopState = LoopState;
export type RunLoopState = LoopState;

export interface RunLoopDeps {
  queue: RunLoopQueue;
  store: RunLoopStore;
  engine: RunLoopEngine;
  logger: Logger;
  metrics?: RunLoopMetrics | undefined;
  config: RunLoopConfig;
  /** Live output of running rows (the SSE stream); absent: rows publish nothing. */
  stream?: RunLoopStream | undefined;
  workerId: string;
  /** Epoch milliseconds; injectable for tests. */
  now?: (() => number) | undefined;
}

/**
 * stop() stops pulling and finishes or releases the batch in flight; `done` also resolves
 * on drain mode's idle exit.
 */
export type RunLoop = Lifecycle;

export function createRunLoop(deps: RunLoopDeps): RunLoop {
  const config = resolveRunLoopConfig(deps.config);
  const ctx: RunLoopContext = {
    queue: deps.queue,
    store: deps.store,
    engine: deps.engine,
    logger: deps.logger,
    metrics: deps.metrics ?? noopMetrics,
    config,
    stream: deps.stream,
    workerId: deps.workerId,
    now: deps.now ?? Date.now,
  };
  const { logger } = ctx;
  const capacity = Math.max(1, Math.min(config.maxBatch, deps.engine.maxBatchSize));

  /** Rows claimed and not settled yet, each with the promise of its settlement. */
  const inFlight = new Map<BatchRow, Promise<void>>();
  /** Resolved (and replaced) whenever a row settles: the loop waits on it when full. */
  let rowSettled = Promise.withResolvers<void>();
  const leaseKeeper = { stop: async () => {} };
  const cancelWatcher = { stop: async () => {} };
  const stopWatchers = () => Promise.all([leaseKeeper.stop(), cancelWatcher.stop()]);
  const rowsInFlight = () => inFlight.keys();
  // The callbacks run from start() on, when everything below exists.
  const lifecycle = createLoopLifecycle({
    name: 'run loop',
    loop,
    onStart: () => {
      logger.info({ workerId: ctx.workerId, capacity, ...config }, 'run loop started');
      leaseKeeper.stop = startLeaseKeeper(ctx, rowsInFlight).stop;
      cancelWatcher.stop = startCancelWatcher(ctx, rowsInFlight).stop;
    },
    onCrash: (error) => logger.error({ err: error }, 'run loop crashed'),
    // Drain mode's idle exit (or a crash): nothing is running, stop the watchers.
    onEndedByItself: async () => {
      await Promise.all(inFlight.values());
      await stopWatchers();
    },
    onStop: async (loopEnded) => {
      logger.info({ shutdownGraceMs: config.shutdownGraceMs }, 'run loop stopping');
      await stopLoop(loopEnded);
      await stopWatchers();
      logger.info({}, 'run loop stopped');
    },
  });
  const { isRunning } = lifecycle;

  const start = (row: BatchRow): void => {
    const settled = runRow(ctx, row, () => inFlight.size).finally(() => {
      inFlight.delete(row);
      ctx.metrics.inFlight(inFlight.size);
      rowSettled.resolve();
      rowSettled = Promise.withResolvers<void>();
    });
    inFlight.set(row, settled);
    ctx.metrics.inFlight(inFlight.size);
  };

  /** Waits until a row settles (or stop() is called). */
  const slotFreed = async (): Promise<void> => {
    const stopping = new Promise<void>((resolve) =>
      lifecycle.stopSignal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await Promise.race([rowSettled.promise, stopping]);
  };

  async function runOnce(
    lastMessageAtMs: number,
  ): Promise<'message' | 'empty' | 'idle-exit' | 'full'> {
    const free = capacity - inFlight.size;
    if (free <= 0 || (config.batchPolicy === 'static' && inFlight.size > 0)) {
      await slotFreed();
      return 'full';
    }
    const messages = await gatherBatch(ctx.queue, {
      max: free,
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
      const idle = inFlight.size === 0 && config.idleExitMs !== null && idleMs >= config.idleExitMs;
      return idle ? 'idle-exit' : 'empty';
    }
    if (!isRunning()) {
      // stop() came while this pull waited: hand the messages straight back.
      await Promise.all(messages.map((message) => nackMessage(ctx, message)));
      return 'message';
    }
    logger.debug(
      { messages: messages.length, running: inFlight.size, capacity },
      'messages pulled',
    );
    // A second delivery of a job already running here (or twice in one pull) is neither
    // acked nor nacked: with Pub/Sub, acking one delivery of a message can ack the other,
    // and a later nack of a released job would then be lost. Left alone, it returns after
    // its lease and finds the job finished.
    const running = new Set([...inFlight.keys()].map((row) => row.job.id));
    const fresh = messages.filter((message) => {
      if (running.has(message.jobId)) {
        logger.debug({ jobId: message.jobId }, 'duplicate message left alone');
        return false;
      }
      running.add(message.jobId);
      return true;
    });
    const rows = await Promise.all(fresh.map((message) => claimRow(ctx, message)));
    for (const row of rows) {
      if (row === null) {
        continue;
      }
      if (!isRunning()) {
        abortRow(row, AbortReason.shutdown);
      }
      start(row);
    }
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
        if (outcome === 'message' || outcome === 'full') {
          lastMessageAtMs = ctx.now();
        } else if (outcome === 'idle-exit') {
          await drainDeadLetters(ctx);
          logger.info({ idleExitMs: config.idleExitMs }, 'queue idle; drain mode ends the loop');
          return;
        }
      } catch (error) {
        // A pull that failed (or a bug): back off instead of hot-looping against an outage.
        logger.error({ err: error }, 'run loop iteration failed; backing off');
        await sleep(config.errorBackoffMs, lifecycle.stopSignal);
      }
    }
  }

  /** Running rows may finish within the grace period; then they are aborted and released. */
  async function stopLoop(loopEnded: Promise<void>): Promise<void> {
    // Rows claimed by a pull that was in flight at stop() are started (and aborted) before
    // the loop ends, so they are in the map by then.
    const allSettled = (): Promise<unknown> => loopEnded.then(() => Promise.all(inFlight.values()));
    const ended = await withinGrace(allSettled(), config.shutdownGraceMs);
    if (!ended) {
      logger.warn(
        {
          jobIds: [...inFlight.keys()].map((row) => row.job.id),
          shutdownGraceMs: config.shutdownGraceMs,
        },
        'grace period over; aborting and releasing in-flight jobs',
      );
      for (const row of inFlight.keys()) {
        abortRow(row, AbortReason.shutdown);
      }
      // Each row settles when the engine hands it back, or abortSettleMs after the abort.
      await allSettled();
    }
  }

  return lifecycle;
}
