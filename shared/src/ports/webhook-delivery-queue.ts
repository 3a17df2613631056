import type { LeasedIdQueue } from './leased-id-queue.ts';

/**
 * The webhook delivery queue: at-least-once delivery of event ids to delivery workers,
 * apart from the job queue so a slow or dead receiver never holds up generation. A pulled
 * message is leased to the puller and comes back when the lease runs out. The store decides
 * what an attempt does (WebhookEventStore.claimAttempt), so a duplicate message costs a read,
 * never a second POST of the same attempt.
 */
export interface DeliveryMessage {
  /** Opaque handle for ack and retryLater. */
  readonly ackId: string;
  readonly eventId: string;
}

/** publish takes event ids; ack once done with the event (delivered, gone, failed, a duplicate). */
export interface WebhookDeliveryQueue extends LeasedIdQueue<DeliveryMessage> {
  /**
   * Brings the message back after delayMs. An adapter may cap the delay (Pub/Sub: 600 s);
   * the worker then finds the event not yet due and defers it again.
   */
  retryLater(message: DeliveryMessage, delayMs: number): Promise<void>;
}
