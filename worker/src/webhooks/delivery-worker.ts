import {
  createLoopLifecycle,
  type Lifecycle,
  LoopState,
} from '@warmgen/shared/lifecycle/loop-lifecycle.ts';
import { sleep } from '@warmgen/shared/lifecycle/sleep.ts';
import { withinGrace } from '@warmgen/shared/lifecycle/within-grace.ts';
import type { Logger } from '@warmgen/shared/logging/logger.ts';
import type { WebhookDeliveryQueue } from '@warmgen/shared/ports/webhook-delivery-queue.ts';
import type { WebhookEventStore } from '@warmgen/shared/ports/webhook-event-store.ts';
import type { Registry } from 'prom-client';
import { deliverMessage } from './deliver-message.ts';
import {
  type DeliveryConfig,
  type DeliveryContext,
  resolveDeliveryConfig,
} from './delivery-context.ts';
import { dispatchOutbox, redispatchStale } from './dispatch-outbox.ts';
import type { PayloadStore } from './event-payload.ts';
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
 * States (the shared loop lifecycle, shared/src/lifecycle/loop-lifecycle.ts):
 *   idle      created; start() not called yet
 *   running   dispatching, pulling, delivering
 *   stopping  stop() called: no more pulls; attempts in flight may finish within
 *             shutdownGraceMs, the others' messages come back when their leases end
 *   stopped   `done` is resolved
 */
export const DeliveryWorkerState = LoopState;
export type DeliveryWorkerState = LoopState;

export interface DeliveryWorkerDeps {
  events: WebhookEventStore;
  jobs: PayloadStore;
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

export type DeliveryWorker = Lifecycle;

/** Pause after a failed turn (store or queue unreachable), so an outage is not hammered. */
const errorBackoffMs = 1_000;

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const config = resolveDeliveryConfig(deps.config);
  // The ports as given (events, jobs, queue, send, logger, workerId), the rest resolved.
  const { secrets, registry, ...ports } = deps;
  const ctx: DeliveryContext = {
    ...ports,
    sign: createWebhookSigner(secrets),
    metrics: registry ? createWebhookMetrics(registry) : noopWebhookMetrics,
    config,
    now: deps.now ?? Date.now,
    random: deps.random ?? Math.random,
  };
  const { logger } = ctx;
  const inFlight = new Set<Promise<void>>();
  // The callbacks run from start() on, when everything below exists.
  const lifecycle = createLoopLifecycle({
    name: 'webhook delivery worker',
    loop,
    onStart: () =>
      logger.info(
        {
          workerId: ctx.workerId,
          concurrency: config.concurrency,
          timeoutMs: config.timeoutMs,
          attempts: config.retryScheduleMs.length,
          signingSecrets: secrets.length,
        },
        'webhook delivery worker started',
      ),
    onCrash: (error) => logger.error({ err: error }, 'webhook delivery loop crashed'),
    onStop: drain,
  });
  const { isRunning, stopSignal } = lifecycle;

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
          await Promise.race([...inFlight, sleep(config.dispatchIntervalMs, stopSignal)]);
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
        await sleep(errorBackoffMs, stopSignal);
      }
    }
  }

  /** Attempts in flight may finish within the grace period; the others come back later. */
  async function drain(loopEnded: Promise<void>): Promise<void> {
    await loopEnded;
    if (!(await withinGrace(Promise.all(inFlight), config.shutdownGraceMs))) {
      logger.warn(
        { inFlight: inFlight.size },
        'webhook attempts still in flight after the grace period; their messages come back later',
      );
    }
  }

  return lifecycle;
}
