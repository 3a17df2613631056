import type { PubSub, Topic, v1 } from '@google-cloud/pubsub';
import type { DeliveryMessage, WebhookDeliveryQueue } from '../../ports/webhook-delivery-queue.ts';
import { createSubscriberClient } from './pubsub-client.ts';
import { RequestCoalescer } from './request-coalescer.ts';
import { type PullClient, pullWithWait, type ReceivedMessage } from './synchronous-pull.ts';

export interface PubSubWebhookQueueNames {
  topic: string;
  subscription: string;
}

/** Pub/Sub accepts ack deadlines of 0-600 s. */
const maxAckDeadlineSeconds = 600;
const ackIdsPerRequest = 500;
/** Events retry for up to ~3 days (the default schedule); keep messages the most Pub/Sub allows. */
const retentionSeconds = 7 * 24 * 3600;
const alreadyExists = 6;

/**
 * The webhook delivery queue on Pub/Sub: a topic and a pull subscription whose messages
 * carry an event id. Built like PubSubJobQueue (synchronous pull, ack deadlines as leases,
 * coalesced acks and deadline changes), with two differences:
 * - no dead-letter policy: the event store decides when delivery is over (its retry
 *   schedule), and a message may be deferred many times over hours;
 * - retryLater is a deadline change of at most 600 s, Pub/Sub's limit: a message deferred
 *   for hours comes back every 10 minutes, finds its event not due, and is deferred again
 *   (one read per 10 minutes per waiting event).
 */
export class PubSubWebhookDeliveryQueue implements WebhookDeliveryQueue {
  readonly #pubsub: PubSub;
  readonly #subscriber: v1.SubscriberClient;
  readonly #topic: Topic;
  readonly #names: PubSubWebhookQueueNames;
  readonly #subscriptionPath: string;
  readonly #acks: RequestCoalescer;
  readonly #deadlines: RequestCoalescer;
  readonly #closing = new AbortController();

  /** Takes ownership of the client: close() closes it. */
  static async create(
    pubsub: PubSub,
    names: PubSubWebhookQueueNames,
  ): Promise<PubSubWebhookDeliveryQueue> {
    return new PubSubWebhookDeliveryQueue(pubsub, await createSubscriberClient(pubsub), names);
  }

  private constructor(
    pubsub: PubSub,
    subscriber: v1.SubscriberClient,
    names: PubSubWebhookQueueNames,
  ) {
    this.#pubsub = pubsub;
    this.#subscriber = subscriber;
    this.#names = names;
    this.#topic = pubsub.topic(names.topic, {
      batching: { maxMessages: 1_000, maxMilliseconds: 5 },
    });
    this.#subscriptionPath = pubsub.subscription(names.subscription).name;
    this.#acks = new RequestCoalescer(async (subscription, ackIds) => {
      await this.#subscriber.acknowledge({ subscription, ackIds });
    }, ackIdsPerRequest);
    this.#deadlines = new RequestCoalescer(async (seconds, ackIds) => {
      await this.#subscriber.modifyAckDeadline({
        subscription: this.#subscriptionPath,
        ackIds,
        ackDeadlineSeconds: Number(seconds),
      });
    }, ackIdsPerRequest);
  }

  /**
   * Creates the topic and subscription if missing (dev and tests; Terraform in production,
   * with the same settings: no dead-letter policy, 7-day retention, never expires).
   */
  async ensureTopology(ackDeadlineSeconds = 60): Promise<void> {
    await ignoreExisting(this.#pubsub.createTopic(this.#names.topic));
    await ignoreExisting(
      this.#pubsub.topic(this.#names.topic).createSubscription(this.#names.subscription, {
        ackDeadlineSeconds,
        messageRetentionDuration: { seconds: retentionSeconds },
        expirationPolicy: {},
      }),
    );
  }

  /** Deletes the subscription and topic (tests); missing ones are ignored. */
  async deleteTopology(): Promise<void> {
    await this.#pubsub
      .subscription(this.#names.subscription)
      .delete()
      .catch(() => undefined);
    await this.#pubsub
      .topic(this.#names.topic)
      .delete()
      .catch(() => undefined);
  }

  async publish(eventIds: string[]): Promise<void> {
    await Promise.all(
      eventIds.map((id) => this.#topic.publishMessage({ data: Buffer.from(id, 'utf8') })),
    );
  }

  async pull(max: number, leaseMs: number, waitMs: number): Promise<DeliveryMessage[]> {
    if (max <= 0 || this.#closing.signal.aborted) {
      return [];
    }
    const received = await pullWithWait(
      this.#subscriber as unknown as PullClient,
      this.#subscriptionPath,
      max,
      waitMs,
      this.#closing.signal,
    );
    const ackIds = received.flatMap((message) => (message.ackId ? [message.ackId] : []));
    if (ackIds.length > 0) {
      await this.#subscriber.modifyAckDeadline({
        subscription: this.#subscriptionPath,
        ackIds,
        ackDeadlineSeconds: toDeadlineSeconds(leaseMs),
      });
    }
    return received.map((message) => ({ ackId: message.ackId ?? '', eventId: eventIdOf(message) }));
  }

  ack(message: DeliveryMessage): Promise<void> {
    return this.#acks.add(this.#subscriptionPath, message.ackId);
  }

  retryLater(message: DeliveryMessage, delayMs: number): Promise<void> {
    return this.#deadlines.add(String(toDeadlineSeconds(delayMs)), message.ackId);
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
}

function toDeadlineSeconds(ms: number): number {
  return Math.min(maxAckDeadlineSeconds, Math.max(0, Math.ceil(ms / 1000)));
}

function eventIdOf(message: ReceivedMessage): string {
  const data = message.message?.data;
  if (data === null || data === undefined) {
    return '';
  }
  return typeof data === 'string'
    ? Buffer.from(data, 'base64').toString('utf8')
    : Buffer.from(data).toString('utf8');
}

async function ignoreExisting(creation: Promise<unknown>): Promise<void> {
  try {
    await creation;
  } catch (error) {
    if ((error as { code?: unknown }).code !== alreadyExists) {
      throw error;
    }
  }
}
