import { randomBytes } from 'node:crypto';
import type { DocumentData, Timestamp } from '@google-cloud/firestore';
import type { WebhookSpec } from '../../domain/job.ts';
import type { JobStatus } from '../../domain/job-status.ts';
import {
  generationEventFor,
  type WebhookAttempt,
  type WebhookDeliveryState,
  type WebhookEvent,
  type WebhookEventType,
} from '../../domain/webhook-event.ts';
import { expireAt } from './job-documents.ts';

/**
 * Webhook events in Firestore: collection `{prefix}webhook_events`, one document per job or
 * batch and round, whose document id is the subject's id (round 0) or the id and the round
 * (eventDocumentId). The round is the job's or batch's `retries` when the event fired: a
 * batch retry runs rows and ends the batch again, and each run fires its own event.
 * `create()` of that document is what makes an event exactly once: a second writer gets
 * ALREADY_EXISTS. A job's event is created in
 * the same atomic write as its terminal transition (conditional-update.ts); a batch's
 * batch.completed by recordBatchCompletions once no job of it is open. Besides the domain
 * fields: dispatchedAtMs (null while in the outbox), the attempt lease, and expireAt for
 * the TTL policy (the retention of its job).
 */
export interface WebhookEventDocument extends WebhookEvent {
  /** Absent on documents written before retries existed: round 0. */
  round?: number;
  dispatchedAtMs: number | null;
  leaseOwner: string | null;
  leaseExpiresAtMs: number | null;
  expireAt: Timestamp;
}

export const webhookEventsCollection = 'webhook_events';

/** Round 0 keeps the subject's id, as every event had before retries. */
export function eventDocumentId(subjectId: string, round: number): string {
  return round === 0 ? subjectId : `${subjectId}~${round}`;
}

/** The latest round's document of a subject's events (each round has at most one). */
export function latestRound<T extends { get(field: string): unknown }>(documents: T[]): T | null {
  let latest: T | null = null;
  for (const document of documents) {
    if (latest === null || Number(document.get('round') ?? 0) > Number(latest.get('round') ?? 0)) {
      latest = document;
    }
  }
  return latest;
}

export function newWebhookEventDocument(
  type: WebhookEventType,
  subjectId: string,
  url: string,
  atMs: number,
  expireAtMs: number,
  round: number,
): WebhookEventDocument {
  return {
    id: `evt_${randomBytes(16).toString('hex')}`,
    round,
    type,
    subjectId,
    url,
    createdAtMs: atMs,
    state: 'pending',
    attempts: [],
    scheduleAttempts: 0,
    nextAttemptAtMs: atMs,
    payload: null,
    dispatchedAtMs: null,
    leaseOwner: null,
    leaseExpiresAtMs: null,
    expireAt: expireAt(expireAtMs),
  };
}

/** The generation.* event a transition to `status` fires for this webhook, if it asked. */
export function generationEventOf(
  status: JobStatus | undefined,
  webhook: WebhookSpec | null,
): WebhookEventType | null {
  if (
    webhook === null ||
    (status !== 'succeeded' && status !== 'failed' && status !== 'canceled')
  ) {
    return null;
  }
  const type = generationEventFor[status];
  return webhook.events.includes(type) ? type : null;
}

export function documentToWebhookEvent(data: DocumentData): WebhookEvent {
  return {
    id: data.id,
    type: data.type as WebhookEventType,
    subjectId: data.subjectId,
    url: data.url,
    createdAtMs: data.createdAtMs,
    state: data.state as WebhookDeliveryState,
    attempts: (data.attempts ?? []) as WebhookAttempt[],
    scheduleAttempts: data.scheduleAttempts ?? 0,
    nextAttemptAtMs: data.nextAttemptAtMs ?? null,
    payload: data.payload ?? null,
  };
}
