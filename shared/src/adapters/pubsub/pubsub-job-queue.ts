import type { PubSub, Topic, v1 } from '@google-cloud/pubsub';
import type { JobQueue, QueueMessage } from '../../ports/job-queue.ts';
import { createSubscriberClient } from './pubsub-client.ts';
import { ensureTopology, type PubSubQueueNames, type TopologyOptions } from './pubsub-topology.ts';
import { RequestCoalescer } from './request-coalescer.ts';
import { type PullClient, pullWithWait, type ReceivedMessage } from './synchronous-pull.ts';

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
/** Pub/Sub accepts ack deadlines of 0-600 s in ModifyAckDeadline. */
const maxAckDeadlineSeconds = 600;
/** Ack ids per Acknowledge/ModifyAckDeadline request (requests are capped at 512 KB). */
const ackIdsPerRequest = 500;
const deadLetterCountAttribute = 'CloudPubSubDeadLetterSourceDeliveryCount';

/**
 * The job queue on Pub/Sub: a topic and its pull subscription, with a dead-letter topic and
 * subscription. Messages carry the job id as their data.
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
 * dead-letter topic. Acks and deadline changes made in the same event-loop turn travel in
 * one request.
 */
export class PubSubJobQueue implements JobQueue {
  readonly #pubsub: PubSub;
  readonly #subscriber: v1.SubscriberClient;
  readonly #topic: Topic;
  readonly #names: PubSubQueueNames;
  readonly #subscriptionPath: string;
  readonly #deadLetterSubscriptionPath: string;
  readonly #deadLetterLeaseMs: number;
  readonly #deadLetterWaitMs: number;
  readonly #backlog: (() => Promise<number>) | undefined;
  readonly #acks: RequestCoalescer;
  readonly #deadlines: RequestCoalescer;
  readonly #closing = new AbortController();

  /** Takes ownership of the client: close() closes it. */
  static async create(pubsub: PubSub, options: PubSubJobQueueOptions): Promise<PubSubJobQueue> {
    return new PubSubJobQueue(pubsub, await createSubscriberClient(pubsub), options);
  }

  private constructor(
    pubsub: PubSub,
    subscriber: v1.SubscriberClient,
    options: PubSubJobQueueOptions,
  ) {
    this.#pubsub = pubsub;
    this.#subscriber = subscriber;
    this.#names = {
      topic: options.topic,
      subscription: options.subscription,
      deadLetterTopic: options.deadLetterTopic,
      deadLetterSubscription: options.deadLetterSubscription,
    };
    this.#topic = pubsub.topic(options.topic, {
      batching: publishBatching,
      gaxOpts: { timeout: options.publishTimeoutMs ?? defaults.publishTimeoutMs },
    });
    this.#subscriptionPath = pubsub.subscription(options.subscription).name;
    this.#deadLetterSubscriptionPath = pubsub.subscription(options.deadLetterSubscription).name;
    this.#deadLetterLeaseMs = options.deadLetterLeaseMs ?? defaults.deadLetterLeaseMs;
    this.#deadLetterWaitMs = options.deadLetterWaitMs ?? defaults.deadLetterWaitMs;
    this.#backlog = options.backlog;
    this.#acks = new RequestCoalescer(async (subscription, ackIds) => {
      await this.#subscriber.acknowledge({ subscription, ackIds });
    }, ackIdsPerRequest);
    this.#deadlines = new RequestCoalescer(async (key, ackIds) => {
      const [subscription = '', seconds] = key.split('\n');
      await this.#subscriber.modifyAckDeadline({
        subscription,
        ackIds,
        ackDeadlineSeconds: Number(seconds),
      });
    }, ackIdsPerRequest);
  }

  /** Creates the topics and subscriptions if missing (dev and tests; Terraform in prod). */
  ensureTopology(options: TopologyOptions): Promise<void> {
    return ensureTopology(this.#pubsub, this.#names, options);
  }

  async publish(jobIds: string[]): Promise<void> {
    await Promise.all(
      jobIds.map((jobId) => this.#topic.publishMessage({ data: Buffer.from(jobId, 'utf8') })),
    );
  }

  async pull(max: number, leaseMs: number, waitMs: number): Promise<QueueMessage[]> {
    const received = await this.#pull(this.#subscriptionPath, max, waitMs, leaseMs);
    return received.map((message) => ({
      ackId: message.ackId ?? '',
      jobId: jobIdOf(message),
      deliveryAttempt: Math.max(1, message.deliveryAttempt ?? 0),
    }));
  }

  ack(message: QueueMessage): Promise<void> {
    return this.#acks.add(this.#subscriptionPath, message.ackId);
  }

  nack(message: QueueMessage): Promise<void> {
    return this.#setDeadline(this.#subscriptionPath, message.ackId, 0);
  }

  extendLease(message: QueueMessage, leaseMs: number): Promise<void> {
    return this.#setDeadline(this.#subscriptionPath, message.ackId, toDeadlineSeconds(leaseMs));
  }

  async pullDeadLetters(max: number): Promise<QueueMessage[]> {
    const received = await this.#pull(
      this.#deadLetterSubscriptionPath,
      max,
      this.#deadLetterWaitMs,
      this.#deadLetterLeaseMs,
    );
    return received.map((message) => ({
      ackId: message.ackId ?? '',
      jobId: jobIdOf(message),
      // The attempts the job subscription made, recorded by Pub/Sub when it forwarded.
      deliveryAttempt:
        Number(message.message?.attributes?.[deadLetterCountAttribute]) ||
        Math.max(1, message.deliveryAttempt ?? 0),
    }));
  }

  ackDeadLetter(message: QueueMessage): Promise<void> {
    return this.#acks.add(this.#deadLetterSubscriptionPath, message.ackId);
  }

  /** Best effort: see PubSubJobQueueOptions.backlog. */
  async depth(): Promise<number> {
    return this.#backlog === undefined ? Number.NaN : this.#backlog();
  }

  async close(): Promise<void> {
    if (this.#closing.signal.aborted) {
      return;
    }
    this.#closing.abort();
    try {
      await this.#topic.flush();
    } finally {
      await this.#subscriber.close();
      await this.#pubsub.close();
    }
  }

  /** Pulls and leases what came for leaseMs (the subscription default may differ). */
  async #pull(
    subscription: string,
    max: number,
    waitMs: number,
    leaseMs: number,
  ): Promise<ReceivedMessage[]> {
    if (max <= 0 || this.#closing.signal.aborted) {
      return [];
    }
    const received = await pullWithWait(
      this.#subscriber as unknown as PullClient,
      subscription,
      max,
      waitMs,
      this.#closing.signal,
    );
    const ackIds = received.flatMap((message) => (message.ackId ? [message.ackId] : []));
    if (ackIds.length > 0) {
      await this.#subscriber.modifyAckDeadline({
        subscription,
        ackIds,
        ackDeadlineSeconds: toDeadlineSeconds(leaseMs),
      });
    }
    return received;
  }

  #setDeadline(subscription: string, ackId: string, seconds: number): Promise<void> {
    return this.#deadlines.add(`${subscription}\n${seconds}`, ackId);
  }
}

function toDeadlineSeconds(leaseMs: number): number {
  return Math.min(maxAckDeadlineSeconds, Math.max(0, Math.ceil(leaseMs / 1000)));
}

function jobIdOf(message: ReceivedMessage): string {
  const data = message.message?.data;
  if (data === null || data === undefined) {
    return '';
  }
  return typeof data === 'string'
    ? Buffer.from(data, 'base64').toString('utf8')
    : Buffer.from(data).toString('utf8');
}
