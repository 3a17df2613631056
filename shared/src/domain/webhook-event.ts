import type { JobStatus } from './job-status.ts';

/**
 * Webhook events. A job's terminal transition fires one generation.* event; a batch fires
 * batch.completed once, when its last job reaches a terminal state (after a cancel too: the
 * payload's status then says canceled). Each event is delivered to the URL the job or batch
 * named, if it asked for that event type, with the same `webhook-id` on every attempt.
 *
 * Terminology:
 *   event     one thing that happened to one job or batch, recorded once (its id is the
 *             Standard Webhooks `webhook-id`, the receiver's idempotency key)
 *   attempt   one HTTP POST of the event; retried on a schedule until delivered
 *   outbox    events recorded together with the terminal transition and not yet handed to
 *             the delivery queue
 */
export const generationEventTypes = [
  'generation.completed',
  'generation.failed',
  'generation.canceled',
] as const;
export const batchEventTypes = ['batch.completed'] as const;
export const webhookEventTypes = [...generationEventTypes, ...batchEventTypes] as const;
export type GenerationEventType = (typeof generationEventTypes)[number];
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The event a job fires when it reaches a terminal status. */
export const generationEventFor: Record<
  Extract<JobStatus, 'succeeded' | 'failed' | 'canceled'>,
  GenerationEventType
> = {
  succeeded: 'generation.completed',
  failed: 'generation.failed',
  canceled: 'generation.canceled',
};

/**
 * Where an event's delivery stands:
 *   pending    attempts remain; the next is due at nextAttemptAtMs
 *   delivered  a 2xx answer was received
 *   gone       the receiver answered 410 Gone: no more attempts
 *   failed     the retry schedule ran out (dead letter); POST .../webhook/redeliver restarts it
 */
export const WebhookDeliveryState = {
  pending: 'pending',
  delivered: 'delivered',
  gone: 'gone',
  failed: 'failed',
} as const;
export type WebhookDeliveryState = (typeof WebhookDeliveryState)[keyof typeof WebhookDeliveryState];
export const webhookDeliveryStates: readonly WebhookDeliveryState[] =
  Object.values(WebhookDeliveryState);

/** One HTTP attempt, as recorded on the event and shown in the API view. */
export interface WebhookAttempt {
  /** Epoch milliseconds when the request started. */
  atMs: number;
  /** The receiver's HTTP status, or null when no answer came (timeout, refused, reset). */
  statusCode: number | null;
  latencyMs: number;
  /** Why the attempt did not deliver, or null when it did. */
  error: string | null;
}

export interface WebhookEvent {
  /** `evt_…`: the Standard Webhooks webhook-id, the same on every attempt. */
  id: string;
  type: WebhookEventType;
  /** The job or batch the event is about. */
  subjectId: string;
  url: string;
  /** When it happened (the terminal transition), epoch milliseconds. */
  createdAtMs: number;
  state: WebhookDeliveryState;
  /** Oldest first; the store keeps the most recent `maxRecordedAttempts`. */
  attempts: WebhookAttempt[];
  /** Attempts since the schedule (re)started: the index into the retry schedule. */
  scheduleAttempts: number;
  /** When the next attempt is due (pending only). */
  nextAttemptAtMs: number | null;
  /** The exact body every attempt sends, fixed when the event leaves the outbox. */
  payload: string | null;
}

/** Attempts kept per event: a full schedule and a few redeliveries. */
export const maxRecordedAttempts = 50;
