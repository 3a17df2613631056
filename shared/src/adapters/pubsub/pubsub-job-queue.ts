import type { PubSub } from '@google-cloud/pubsub';
import type { JobQueue, QueueMessage } from '../../ports/job-queue.ts';
import { PubSubIdQueue, type PulledId } from './pubsub-id-queue.ts';
import { ensureTopology, type PubSubQueueNames, type TopologyOptions } from './pubsub-topology.ts';

export interface PubSubJobQueueOptions extends PubSubQueueNames {
  /** Lease on a pulled dead letter, so two workers do not handle it at once. */
  deadLetterLeaseMs?: number;
  /** How long pullDeadLetters waits for a first dead letter. */
  deadLetterWaitMs?: number;
  /** Bound on one publish call, retries included: the API must answer, the sweeper retries. */
  publishTimeoutMs?: number;
  /**
   * Reads the subscription's backlog (for example Cloud Monitoring's
   * subscription/num_undelivered_messages). Pub/Sub has no API that counts waiting
   * messages and the emulator cannot tell at all: without a reader depth() is NaN.
   */
  backlog?: () => Promise<number>;
}

const defaults = {
  /** Long enough for a drain pass over its dead letters. */
  deadLetterLeaseMs: 60_000,
  /** Short: dead letters are drained between batches, never waited for. */
  deadLetterWaitMs: 200,
  publishTimeoutMs: 10_000,
};

/**
 * Publisher batching tuned for batch submissions: the API publishes a batch's ids in
 * chunks of hundreds at once, which go out as 1,000-message requests (Pub/Sub's maximum)
 * instead of the library's default 100; a lone job waits at most 5 ms for company.
 */
const publishBatching = { maxMessages: 1_000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: 5 };
const deadLetterCountAttribute = 'CloudPubSubDeadLetterSourceDeliveryCount';

/**
 * The job queue on Pub/Sub: a topic and its pull subscription, with a dead-letter topic and
 * subscription. Messages carry the job id as their data; pulling, leases and acks are the
 * id-queue core's (pubsub-id-queue.ts), shared with the webhook delivery queue.
 *
 * Pulling is synchronous pull (v1 SubscriberClient.pull), not the library's streaming
 * subscriber. The port is pull-shaped: the worker asks for as many messages as it has free
 * batch rows, when it has them, and manages each lease itself (extendLease, nack). A
 * synchronous pull leases exactly the messages it returns; a streaming pull keeps messages
 * flowing into client buffers whose leases the library extends on its own, and the
 * emulator ignores server-side flow control, so only client-side flow control with
 * allowExcessMessages: false would bound it. One RPC per pull costs little next to a
 * generation.
 *
 * Leases are ack deadlines: pull() sets each message's deadline to the requested lease
 * (rounded up to whole seconds, at most 600 s), extendLease() moves it, nack() sets it to
 * 0. deliveryAttempt is Pub/Sub's own count (filled in because the subscription has a
 * dead-letter policy); after maxAttempts deliveries Pub/Sub forwards the message to the
 * dead-letter topic.
 */
export class PubSubJobQueue implements JobQueue {
  readonly #core: PubSubIdQueue;
  readonly #names: PubSubQueueNames;
  readonly #subscription: string;
  readonly #deadLetterSubscription: string;
  readonly #deadLetterLeaseMs: number;
  readonly #deadLetterWaitMs: number;
  readonly #backlog: (() => Promise<number>) | undefined;

  /** Takes ownership of the client: close() closes it. */
  static async create(pubsub: PubSub, options: PubSubJobQueueOptions): Promise<PubSubJobQueue> {
    const core = await PubSubIdQueue.create(pubsub, options.topic, {
      batching: publishBatching,
      gaxOpts: { timeout: options.publishTimeoutMs ?? defaults.publishTimeoutMs },
    });
    return new PubSubJobQueue(core, options);
  }

  private constructor(core: PubSubIdQueue, options: PubSubJobQueueOptions) {
    this.#core = core;
    this.#names = {
      topic: options.topic,
      subscription: options.subscription,
      deadLetterTopic: options.deadLetterTopic,
      deadLetterSubscription: options.deadLetterSubscription,
    };
    this.#subscription = core.subscriptionPath(options.subscription);
    this.#deadLetterSubscription = core.subscriptionPath(options.deadLetterSubscription);
    this.#deadLetterLeaseMs = options.deadLetterLeaseMs ?? defaults.deadLetterLeaseMs;
    this.#deadLetterWaitMs = options.deadLetterWaitMs ?? defaults.deadLetterWaitMs;
    this.#backlog = options.backlog;
  }

  /** Creates the topics and subscriptions if missing (dev and tests; Terraform in prod). */
  ensureTopology(options: TopologyOptions): Promise<void> {
    return ensureTopology(this.#core.pubsub, this.#names, options);
  }

  publish(jobIds: string[]): Promise<void> {
    return this.#core.publish(jobIds);
  }

  async pull(max: number, leaseMs: number, waitMs: number): Promise<QueueMessage[]> {
    const pulled = await this.#core.pull(this.#subscription, max, leaseMs, waitMs);
    return pulled.map((message) => jobMessage(message, message.deliveryAttempt));
  }

  ack(message: QueueMessage): Promise<void> {
    return this.#core.ack(this.#subscription, message.ackId);
  }

  nack(message: QueueMessage): Promise<void> {
    return this.#core.setLease(this.#subscription, message.ackId, 0);
  }

  extendLease(message: QueueMessage, leaseMs: number): Promise<void> {
    return this.#core.setLease(this.#subscription, message.ackId, leaseMs);
  }

  async pullDeadLetters(max: number): Promise<QueueMessage[]> {
    const pulled = await this.#core.pull(
      this.#deadLetterSubscription,
      max,
      this.#deadLetterLeaseMs,
      this.#deadLetterWaitMs,
    );
    // The attempts the job subscription made, recorded by Pub/Sub when it forwarded.
    return pulled.map((message) =>
      jobMessage(
        message,
        Number(message.attributes[deadLetterCountAttribute]) || message.deliveryAttempt,
      ),
    );
  }

  ackDeadLetter(message: QueueMessage): Promise<void> {
    return this.#core.ack(this.#deadLetterSubscription, message.ackId);
  }

  /** Best effort: see PubSubJobQueueOptions.backlog. */
  async depth(): Promise<number> {
    return this.#backlog === undefined ? Number.NaN : this.#backlog();
  }

  close(): Promise<void> {
    return this.#core.close();
  }
}

function jobMessage(message: PulledId, deliveryAttempt: number): QueueMessage {
  return { ackId: message.ackId, jobId: message.id, deliveryAttempt: Math.max(1, deliveryAttempt) };
}
