import type { Logger } from '@warmgen/shared/logging/logger.ts';
import type { WebhookDeliveryQueue } from '@warmgen/shared/ports/webhook-delivery-queue.ts';
import type { WebhookEventStore } from '@warmgen/shared/ports/webhook-event-store.ts';
import type { PayloadStore } from './event-payload.ts';
import type { WebhookMetrics } from './webhook-metrics.ts';
import type { AttemptResult, WebhookPost } from './webhook-sender.ts';
import type { SignWebhook } from './webhook-signer.ts';

/** Everything the delivery worker's steps share; ports are injected, plain objects in tests. */
export interface DeliveryContext {
  readonly events: WebhookEventStore;
  readonly jobs: PayloadStore;
  readonly queue: WebhookDeliveryQueue;
  readonly send: (post: WebhookPost) => Promise<AttemptResult>;
  readonly sign: SignWebhook;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
  readonly config: ResolvedDeliveryConfig;
  /** Lease owner on claimed attempts; unique per process. */
  readonly workerId: string;
  readonly now: () => number;
  readonly random: () => number;
}

export interface DeliveryConfig {
  /** Delay before each attempt (entry 0 is 0: the first attempt is immediate). */
  retryScheduleMs: readonly number[];
  /** One attempt, as the sender enforces it. */
  timeoutMs: number;
  /** Attempts in flight at once. */
  concurrency: number;
  /** How often the outbox is moved to the queue: the delay before a first attempt. */
  dispatchIntervalMs?: number | undefined;
  /** An event due this long ago that nobody took is handed out again (a lost message). */
  staleAfterMs?: number | undefined;
  staleSweepIntervalMs?: number | undefined;
  /** How often batches are checked for a batch.completed owed (Firestore; SQLite: no-op). */
  batchSweepIntervalMs?: number | undefined;
  /** On stop, attempts in flight may finish within this; the rest come back later. */
  shutdownGraceMs?: number | undefined;
}

export type ResolvedDeliveryConfig = Required<{
  [K in keyof DeliveryConfig]: Exclude<DeliveryConfig[K], undefined>;
}> & {
  /** Lease on a pulled message and on a claimed attempt: the attempt plus a margin. */
  leaseMs: number;
};

export const deliveryDefaults = {
  dispatchIntervalMs: 200,
  staleAfterMs: 120_000,
  staleSweepIntervalMs: 30_000,
  batchSweepIntervalMs: 2_000,
  shutdownGraceMs: 10_000,
  /** Margin on top of the attempt's timeout before another worker may retry it. */
  leaseMarginMs: 30_000,
} as const;

export function resolveDeliveryConfig(config: DeliveryConfig): ResolvedDeliveryConfig {
  return {
    retryScheduleMs: config.retryScheduleMs,
    timeoutMs: config.timeoutMs,
    concurrency: config.concurrency,
    dispatchIntervalMs: config.dispatchIntervalMs ?? deliveryDefaults.dispatchIntervalMs,
    staleAfterMs: config.staleAfterMs ?? deliveryDefaults.staleAfterMs,
    staleSweepIntervalMs: config.staleSweepIntervalMs ?? deliveryDefaults.staleSweepIntervalMs,
    batchSweepIntervalMs: config.batchSweepIntervalMs ?? deliveryDefaults.batchSweepIntervalMs,
    shutdownGraceMs: config.shutdownGraceMs ?? deliveryDefaults.shutdownGraceMs,
    leaseMs: config.timeoutMs + deliveryDefaults.leaseMarginMs,
  };
}
