import { sleep } from '@warmgen/shared/lifecycle/sleep.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import type { WebhookDeliveryQueue } from '@warmgen/shared/ports/webhook-delivery-queue.ts';
import type { WebhookEventStore } from '@warmgen/shared/ports/webhook-event-store.ts';
import type { Registry } from 'prom-client';
import type { Logger } from '../run-loop/run-loop-ports.ts';
import { deliverMessage } from './deliver-message.ts';
import {
  type DeliveryConfig,
  type DeliveryContext,
  resolveDeliveryConfig,
} from './delivery-context.ts';
import { dispatchOutbox, redispatchStale } from './dispatch-outbox.ts';
import { createWebhookMetrics, noopWebhookMetrics } from './webhook-metrics.ts';
import type { AttemptResult, WebhookPost } from './webhook-sender.ts';
import { createWebhookSigner } from './webhook-signer.ts';

/**
 * The webhook delivery worker: its own loop, apart from generation, so a slow or dead
 * receiver never holds up a job. Each turn it moves the outbox to the delivery queue (and,
 * now and then, hands out events whose message was lost), then pulls as many messages as it
 * has free attempt slots and delivers them concurrently (deliver-message.ts). It does no
 * I/O of its own: store, queue and sender are injected.
 *
 * States:
 *   idle      created; start() not called yet
 *   running   dispatching, pulling, delivering
 *   stopping  stop() called: no more pulls; attempts in flight may finish within
 *             shutdownGraceMs, the others' messages come back when their leases end
 *   stopped   `done` is resolved
 */
export const DeliveryWorkerState = {
  idle: 'idle',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
} as const;
export type DeliveryWorkerState = (typeof DeliveryWorkerState)[keyof typeof DeliveryWorkerState];

export interface DeliveryWorkerDeps {
  events: WebhookEventStore;
  jobs: Pick<JobStore, 'getJob' | 'getBatch' | 'countBatchJobs'>;
  queue: WebhookDeliveryQueue;
  /** The HTTP side (createWebhookSender(...).send in production; a stub in unit tests). */
  send: (post: WebhookPost) => Promise<AttemptResult>;
  /** whsec_ secrets; every request carries one signature per secret. */
  secrets: readonly string[];
  logger: Logger;
  /** Where the webhook series go; omit for none. */
  registry?: Registry | undefined;
  config: DeliveryConfig;
  workerId: string;
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
}

export interface DeliveryWorker {
  start(): void;
  stop(): Promise<void>;
  readonly done: Promise<void>;
  readonly state: DeliveryWorkerState;
}

/** Pause after a failed turn (store or queue unreachable), so an outage is not hammered. */
const errorBackoffMs = 1_000;

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const config = resolveDeliveryConfig(deps.config);
  const ctx: DeliveryContext = {
    events: deps.events,
    jobs: deps.jobs,
    queue: deps.queue,
    send: deps.send,
    sign: createWebhookSigner(deps.secrets),
    logger: deps.logger,
    metrics: deps.registry ? createWebhookMetrics(deps.registry) : noopWebhookMetrics,
    config,
    workerId: deps.workerId,
    now: deps.now ?? Date.now,
    random: deps.random ?? Math.random,
  };
  const { logger } = ctx;
  let state: DeliveryWorkerState = DeliveryWorkerState.idle;
  const isRunning = (): boolean => state === DeliveryWorkerState.running;
  const inFlight = new Set<Promise<void>>();
  const stopSignal = new AbortController();
  let loopEnded: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | null = null;
  const { promise: done, resolve: resolveDone } = Promise.withResolvers<void>();

  function track(message: Parameters<typeof deliverMessage>[1]): void {
    const delivery = deliverMessage(ctx, message)
      .catch((error: unknown) =>
        logger.error(
          { err: error, eventId: message.eventId },
          'webhook delivery failed; its message comes back after its lease',
        ),
      )
      .finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  async function loop(): Promise<void> {
    let lastDispatchAtMs = Number.NEGATIVE_INFINITY;
    let lastStaleSweepAtMs = ctx.now();
    let lastBatchSweepAtMs = Number.NEGATIVE_INFINITY;
    while (isRunning()) {
      try {
        const now = ctx.now();
        if (now - lastBatchSweepAtMs >= config.batchSweepIntervalMs) {
          lastBatchSweepAtMs = now;
          await ctx.events.recordBatchCompletions(now);
        }
        if (now - lastDispatchAtMs >= config.dispatchIntervalMs) {
          lastDispatchAtMs = now;
          await dispatchOutbox(ctx);
        }
        if (now - lastStaleSweepAtMs >= config.staleSweepIntervalMs) {
          lastStaleSweepAtMs = now;
          await redispatchStale(ctx);
        }
        const free = config.concurrency - inFlight.size;
        if (free <= 0) {
          await Promise.race([...inFlight, sleep(config.dispatchIntervalMs, stopSignal.signal)]);
          continue;
        }
        const messages = await ctx.queue.pull(free, config.leaseMs, config.dispatchIntervalMs);
        for (const message of messages) {
          if (isRunning()) {
            track(message);
          }
          // Pulled during stop(): left alone, the lease brings it back to another worker.
        }
      } catch (error) {
        logger.error({ err: error }, 'webhook delivery turn failed; backing off');
        await sleep(errorBackoffMs, stopSignal.signal);
      }
    }
  }

  async function drain(): Promise<void> {
    await loopEnded;
    const grace = new AbortController();
    const finished = await Promise.race([
      Promise.all(inFlight).then(() => true),
      sleep(config.shutdownGraceMs, grace.signal).then(() => false),
    ]);
    grace.abort();
    if (!finished) {
      logger.warn(
        { inFlight: inFlight.size },
        'webhook attempts still in flight after the grace period; their messages come back later',
      );
    }
  }

  return {
    get state() {
      return state;
    },
    done,
    start() {
      if (state !== DeliveryWorkerState.idle) {
        throw new Error(`webhook delivery worker cannot start: it is ${state}`);
      }
      state = DeliveryWorkerState.running;
      logger.info(
        {
          workerId: ctx.workerId,
          concurrency: config.concurrency,
          timeoutMs: config.timeoutMs,
          attempts: config.retryScheduleMs.length,
          signingSecrets: deps.secrets.length,
        },
        'webhook delivery worker started',
      );
      loopEnded = loop().catch((error: unknown) =>
        logger.error({ err: error }, 'webhook delivery loop crashed'),
      );
    },
    stop() {
      if (stopped !== null) {
        return stopped;
      }
      const wasRunning = isRunning();
      state = DeliveryWorkerState.stopping;
      stopSignal.abort();
      stopped = (wasRunning ? drain() : Promise.resolve()).then(() => {
        state = DeliveryWorkerState.stopped;
        resolveDone();
      });
      return stopped;
    },
  };
}
