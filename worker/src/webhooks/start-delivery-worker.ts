import type { Backend } from '@warmgen/shared/adapters/open-backend.ts';
import type { WebhookConfig } from '@warmgen/shared/config/webhook-config.ts';
import { newWorkerId } from '@warmgen/shared/domain/ids.ts';
import type { Logger } from '@warmgen/shared/logging/logger.ts';
import { systemResolver } from '@warmgen/shared/webhooks/system-resolver.ts';
import type { WebhookAddressPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import type { Registry } from 'prom-client';
import { createDeliveryWorker, type DeliveryWorker } from './delivery-worker.ts';
import { createWebhookSender } from './webhook-sender.ts';

export interface StartedDeliveryWorker {
  worker: DeliveryWorker;
  /** Stops the loop, then closes the sender's connections. */
  stop(): Promise<void>;
}

/**
 * Wires the delivery worker for a main file: the backend's event store and queue, the
 * guarded sender with the configured policy and the system resolver, the configured
 * secrets and schedule.
 */
export function startDeliveryWorker(options: {
  backend: Backend;
  webhooks: WebhookConfig;
  /** Secrets to sign with (config's, or the local one npm start keeps). */
  secrets: readonly string[];
  policy: WebhookAddressPolicy;
  logger: Logger;
  registry: Registry;
  shutdownGraceMs: number;
}): StartedDeliveryWorker {
  const { backend, webhooks, logger } = options;
  const sender = createWebhookSender({
    policy: options.policy,
    resolve: systemResolver,
    timeoutMs: webhooks.timeoutMs,
  });
  const worker = createDeliveryWorker({
    events: backend.webhooks.events,
    queue: backend.webhooks.queue,
    jobs: backend.store,
    send: sender.send,
    secrets: options.secrets,
    logger,
    registry: options.registry,
    workerId: newWorkerId(),
    config: {
      retryScheduleMs: webhooks.retryScheduleMs,
      timeoutMs: webhooks.timeoutMs,
      concurrency: webhooks.concurrency,
      shutdownGraceMs: options.shutdownGraceMs,
    },
  });
  worker.start();
  return {
    worker,
    async stop() {
      await worker.stop();
      sender.close();
    },
  };
}
