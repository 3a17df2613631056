import type { WebhookEventType } from '../domain/webhook-event.ts';
import type { BatchView } from './batch-view.ts';
import { isoTime } from './iso-time.ts';
import type { JobView } from './job-view.ts';

/**
 * The body of a webhook request: `{type, timestamp, data}` where data is the job or batch
 * exactly as the API returns it (GET /v1/generations/{id} or /v1/batches/{id}) at the
 * moment of the event, and timestamp is when the event happened (RFC 3339). Fixed once per
 * event: every attempt sends the same bytes.
 */
export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: JobView | BatchView;
}

export function webhookPayload(
  type: WebhookEventType,
  happenedAtMs: number,
  data: JobView | BatchView,
): string {
  const payload: WebhookPayload = { type, timestamp: isoTime(happenedAtMs), data };
  return JSON.stringify(payload);
}
