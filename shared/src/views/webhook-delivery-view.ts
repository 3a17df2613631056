import Type, { type Static } from 'typebox';
import {
  type WebhookEvent,
  webhookDeliveryStates,
  webhookEventTypes,
} from '../domain/webhook-event.ts';
import { isoTime } from './iso-time.ts';

/**
 * How a job's or batch's webhook delivery stands, as GET shows it: the event sent, its
 * state and every attempt (time, HTTP status, latency, error).
 */
export const WebhookDeliveryViewSchema = Type.Object({
  event_id: Type.String({ description: 'The webhook-id header: the same on every attempt.' }),
  type: Type.Enum([...webhookEventTypes]),
  state: Type.Enum([...webhookDeliveryStates], {
    description:
      'pending (attempts remain), delivered (2xx), gone (410: no more attempts) or failed (the retry schedule ran out; redeliver to try again)',
  }),
  next_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  attempts: Type.Array(
    Type.Object({
      at: Type.String({ format: 'date-time' }),
      status_code: Type.Union([Type.Integer(), Type.Null()]),
      latency_ms: Type.Number(),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
export type WebhookDeliveryView = Static<typeof WebhookDeliveryViewSchema>;

export function toWebhookDeliveryView(event: WebhookEvent): WebhookDeliveryView {
  return {
    event_id: event.id,
    type: event.type,
    state: event.state,
    next_attempt_at:
      event.state === 'pending' && event.nextAttemptAtMs !== null
        ? isoTime(event.nextAttemptAtMs)
        : null,
    attempts: event.attempts.map((attempt) => ({
      at: isoTime(attempt.atMs),
      status_code: attempt.statusCode,
      latency_ms: attempt.latencyMs,
      error: attempt.error,
    })),
  };
}
