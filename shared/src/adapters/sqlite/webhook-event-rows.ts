import type { SQLOutputValue } from 'node:sqlite';
import type {
  WebhookAttempt,
  WebhookDeliveryState,
  WebhookEvent,
  WebhookEventType,
} from '../../domain/webhook-event.ts';

/** Rows of webhook_events <-> domain events. attempts is a JSON array of WebhookAttempt. */
type OutputRow = Record<string, SQLOutputValue>;

export const webhookEventColumns =
  'id, type, subject_id, url, created_at_ms, state, attempts, schedule_attempts, ' +
  'next_attempt_at_ms, payload';

export function rowToWebhookEvent(row: OutputRow): WebhookEvent {
  return {
    id: String(row.id),
    type: String(row.type) as WebhookEventType,
    subjectId: String(row.subject_id),
    url: String(row.url),
    createdAtMs: Number(row.created_at_ms),
    state: String(row.state) as WebhookDeliveryState,
    attempts: JSON.parse(String(row.attempts)) as WebhookAttempt[],
    scheduleAttempts: Number(row.schedule_attempts),
    nextAttemptAtMs:
      row.next_attempt_at_ms === null || row.next_attempt_at_ms === undefined
        ? null
        : Number(row.next_attempt_at_ms),
    payload: row.payload === null || row.payload === undefined ? null : String(row.payload),
  };
}
