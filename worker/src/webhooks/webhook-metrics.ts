import type { WebhookDeliveryState } from '@warmgen/shared/domain/webhook-event.ts';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What the delivery worker reports, as Prometheus series on the process registry. */
export interface WebhookMetrics {
  /** One attempt and the state it left the event in (pending = will retry). */
  attempted(state: WebhookDeliveryState, seconds: number): void;
}

export const noopWebhookMetrics: WebhookMetrics = { attempted() {} };

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const attempts = new Counter({
    name: 'warmgen_webhook_attempts_total',
    help: 'Webhook delivery attempts, by the state they left the event in (pending = will retry).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'warmgen_webhook_attempt_seconds',
    help: 'Duration of webhook delivery attempts.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return {
    attempted(state, seconds) {
      attempts.inc({ outcome: state });
      latency.observe(seconds);
    },
  };
}
