import type { LeasedIdQueue } from './leased-id-queue.ts';

/**
 * The job queue: at-least-once delivery of job ids to workers. A pulled message is leased
 * to the puller; it comes back (with deliveryAttempt + 1) when the lease expires or it is
 * nacked. After maxAttempts deliveries it moves to the dead-letter path instead, where a
 * worker marks the job failed. Messages carry only the job id: the store holds the input.
 */
export interface QueueMessage {
  /** Opaque handle for ack, nack and extendLease. */
  readonly ackId: string;
  readonly jobId: string;
  /** 1 on first delivery. */
  readonly deliveryAttempt: number;
}

/** publish takes job ids. */
export interface JobQueue extends LeasedIdQueue<QueueMessage> {
  /** Makes the message available again now (counts as a delivery attempt). */
  nack(message: QueueMessage): Promise<void>;
  extendLease(message: QueueMessage, leaseMs: number): Promise<void>;
  /** Messages that exhausted their attempts; ack them once the job is marked failed. */
  pullDeadLetters(max: number): Promise<QueueMessage[]>;
  ackDeadLetter(message: QueueMessage): Promise<void>;
  /** Messages waiting (not leased, not dead), for metrics and drain mode. */
  depth(): Promise<number>;
}
