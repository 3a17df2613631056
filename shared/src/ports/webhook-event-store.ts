import type {
  WebhookAttempt,
  WebhookDeliveryState,
  WebhookEvent,
} from '../domain/webhook-event.ts';

/**
 * The record of webhook events: the source of truth for what was sent, when and how it
 * went. Events are written by the job store itself, in the same write as the job's (or the
 * batch's last job's) terminal transition: a transactional outbox, so an event is never lost
 * to a crash and never recorded twice (one event per job or batch, whatever the workers do).
 * The delivery worker then moves each event through the delivery queue:
 *
 *   outbox (undispatched) --dispatch--> queue message --claim, POST, finish--> delivered
 *                                            ^                                  | gone
 *                                            +---- retryLater(next due) <-------+ failed
 *
 * Adapters: SQLite (a trigger on jobs writes the events) and Firestore (the job store's
 * conditional write creates the event document in the same batch). Every state change is
 * conditional.
 */
export interface WebhookEventStore {
  /**
   * Records batch.completed for batches whose last job has ended, where the adapter could
   * not write it with that job's transition (Firestore: counting a batch's open jobs in
   * every transition would contend on it). Exactly once per batch; the delivery worker calls
   * it every few seconds. Adapters that record it with the transition (SQLite) return 0.
   */
  recordBatchCompletions(nowMs: number): Promise<number>;
  /** The outbox: events not yet handed to the delivery queue, oldest first. */
  listUndispatched(limit: number): Promise<WebhookEvent[]>;
  /**
   * Records that the event is being handed to the delivery queue, with the body every
   * attempt will send (set once: a later call keeps the first payload).
   */
  markDispatched(id: string, payload: string, nowMs: number): Promise<void>;
  /**
   * Pending events whose message seems lost: due more than staleAfterMs ago, dispatched
   * more than staleAfterMs ago, and not being attempted. The dispatcher hands them out again.
   */
  listStale(nowMs: number, staleAfterMs: number, limit: number): Promise<WebhookEvent[]>;

  getEvent(id: string): Promise<WebhookEvent | null>;
  /** The event of a job or batch (each has at most one), for the API view. */
  getEventFor(subjectId: string): Promise<WebhookEvent | null>;

  /**
   * Takes the event for one attempt: only when pending, due (nextAttemptAtMs <= now) and not
   * already taken by a live lease. Returns the event, or null.
   */
  claimAttempt(
    id: string,
    workerId: string,
    leaseMs: number,
    nowMs: number,
  ): Promise<WebhookEvent | null>;
  /**
   * Records the attempt made under the claim and what follows: pending with the next due
   * time, or a final state. False when the claim was lost (lease expired and taken over).
   */
  finishAttempt(
    id: string,
    workerId: string,
    attempt: WebhookAttempt,
    next: { state: WebhookDeliveryState; nextAttemptAtMs: number | null },
  ): Promise<boolean>;

  /**
   * Starts the schedule again from its first step, due now, back in the outbox (after a
   * dead letter, or to send a delivered event once more). Refused (returns the event
   * unchanged) while an attempt is in flight. Null when the subject has no event.
   */
  redeliver(
    subjectId: string,
    nowMs: number,
  ): Promise<{ event: WebhookEvent; restarted: boolean } | null>;

  close(): Promise<void>;
}
