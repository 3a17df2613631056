import type { PubSub } from '@google-cloud/pubsub';
import type { DeliveryMessage, WebhookDeliveryQueue } from '../../ports/webhook-delivery-queue.ts';
import { PubSubIdQueue } from './pubsub-id-queue.ts';
import { ignoreExisting } from './pubsub-topology.ts';

export interface PubSubWebhookQueueNames {
  topic: string;
  subscription: string;
}

/** Events retry for up to ~3 days (the default schedule); keep messages the most Pub/Sub allows. */
const retentionSeconds = 7 * 24 * 3600;

/**
 * The webhook delivery queue on Pub/Sub: a topic and a pull subscription whose messages
 * carry an event id. It wraps the same id-queue core as PubSubJobQueue (synchronous pull,
 * ack deadlines as leases, coalesced acks and deadline changes), with two differences:
 * - no dead-letter policy: the event store decides when delivery is over (its retry
 *   schedule), and a message may be deferred many times over hours;
 * - retryLater is a deadline change of at most 600 s, Pub/Sub's limit: a message deferred
 *   for hours comes back every 10 minutes, finds its event not due, and is deferred again
 *   (one read per 10 minutes per waiting event).
 */
export class PubSubWebhookDeliveryQueue implements WebhookDeliveryQueue {
  readonly #core: PubSubIdQueue;
  readonly #names: PubSubWebhookQueueNames;
  readonly #subscription: string;

  /** Takes ownership of the client: close() closes it. */
  static async create(
    pubsub: PubSub,
    names: PubSubWebhookQueueNames,
  ): Promise<PubSubWebhookDeliveryQueue> {
    const core = await PubSubIdQueue.create(pubsub, names.topic, {
      batching: { maxMessages: 1_000, maxMilliseconds: 5 },
    });
    return new PubSubWebhookDeliveryQueue(core, names);
  }

  private constructor(core: PubSubIdQueue, names: PubSubWebhookQueueNames) {
    this.#core = core;
    this.#names = names;
    this.#subscription = core.subscriptionPath(names.subscription);
  }

  /**
   * Creates the topic and subscription if missing (dev and tests; Terraform in production,
   * with the same settings: no dead-letter policy, 7-day retention, never expires).
   */
  async ensureTopology(ackDeadlineSeconds = 60): Promise<void> {
    const { pubsub } = this.#core;
    await ignoreExisting(pubsub.createTopic(this.#names.topic));
    await ignoreExisting(
      pubsub.topic(this.#names.topic).createSubscription(this.#names.subscription, {
        ackDeadlineSeconds,
        messageRetentionDuration: { seconds: retentionSeconds },
        expirationPolicy: {},
      }),
    );
  }

  /** Deletes the subscription and topic (tests); missing ones are ignored. */
  async deleteTopology(): Promise<void> {
    const { pubsub } = this.#core;
    await pubsub
      .subscription(this.#names.subscription)
      .delete()
      .catch(() => undefined);
    await pubsub
      .topic(this.#names.topic)
      .delete()
      .catch(() => undefined);
  }

  publish(eventIds: string[]): Promise<void> {
    return this.#core.publish(eventIds);
  }

  async pull(max: number, leaseMs: number, waitMs: number): Promise<DeliveryMessage[]> {
    const pulled = await this.#core.pull(this.#subscription, max, leaseMs, waitMs);
    return pulled.map((message) => ({ ackId: message.ackId, eventId: message.id }));
  }

  ack(message: DeliveryMessage): Promise<void> {
    return this.#core.ack(this.#subscription, message.ackId);
  }

  retryLater(message: DeliveryMessage, delayMs: number): Promise<void> {
    return this.#core.setLease(this.#subscription, message.ackId, delayMs);
  }

  close(): Promise<void> {
    return this.#core.close();
  }
}
