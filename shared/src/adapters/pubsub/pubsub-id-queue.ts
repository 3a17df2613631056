import type { PubSub, Topic, v1 } from '@google-cloud/pubsub';
import { createSubscriberClient } from './pubsub-client.ts';
import { RequestCoalescer } from './request-coalescer.ts';
import { type PullClient, pullWithWait, type ReceivedMessage } from './synchronous-pull.ts';

/** Pub/Sub accepts ack deadlines of 0-600 s in ModifyAckDeadline. */
const maxAckDeadlineSeconds = 600;
/** Ack ids per Acknowledge/ModifyAckDeadline request (requests are capped at 512 KB). */
const ackIdsPerRequest = 500;

/** A pulled message: its ack id and the id it carries (a job's or a webhook event's). */
export interface PulledId {
  ackId: string;
  id: string;
  /** Pub/Sub's delivery count (0 when the subscription has no dead-letter policy). */
  deliveryAttempt: number;
  attributes: Record<string, string>;
}

/**
 * What the job queue and the webhook delivery queue share on Pub/Sub: messages whose data
 * is one id, published to a topic and pulled from subscriptions with synchronous pull
 * (v1 SubscriberClient.pull, not the library's streaming subscriber: the ports are
 * pull-shaped, and a synchronous pull leases exactly the messages it returns; see
 * PubSubJobQueue). Leases are ack deadlines: pull sets each message's deadline to the
 * requested lease (whole seconds, at most 600 s), setLease moves it, 0 hands it back.
 * Acks and deadline changes made in the same event-loop turn travel in one request.
 * Each queue wraps one core and adds what is its own (dead letters, retryLater).
 */
export class PubSubIdQueue {
  readonly pubsub: PubSub;
  readonly #subscriber: v1.SubscriberClient;
  readonly #topic: Topic;
  readonly #acks: RequestCoalescer;
  readonly #deadlines: RequestCoalescer;
  readonly #closing = new AbortController();

  /** Takes ownership of the client: close() closes it. */
  static async create(
    pubsub: PubSub,
    topic: string,
    topicOptions: Parameters<PubSub['topic']>[1],
  ): Promise<PubSubIdQueue> {
    return new PubSubIdQueue(pubsub, await createSubscriberClient(pubsub), topic, topicOptions);
  }

  private constructor(
    pubsub: PubSub,
    subscriber: v1.SubscriberClient,
    topic: string,
    topicOptions: Parameters<PubSub['topic']>[1],
  ) {
    this.pubsub = pubsub;
    this.#subscriber = subscriber;
    this.#topic = pubsub.topic(topic, topicOptions);
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

  /** The full path of a subscription of this project. */
  subscriptionPath(name: string): string {
    return this.pubsub.subscription(name).name;
  }

  async publish(ids: string[]): Promise<void> {
    await Promise.all(
      ids.map((id) => this.#topic.publishMessage({ data: Buffer.from(id, 'utf8') })),
    );
  }

  /** Up to max messages leased for leaseMs; waits up to waitMs for the first. */
  async pull(
    subscription: string,
    max: number,
    leaseMs: number,
    waitMs: number,
  ): Promise<PulledId[]> {
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
      // The subscription's default deadline may differ from the lease asked for.
      await this.#subscriber.modifyAckDeadline({
        subscription,
        ackIds,
        ackDeadlineSeconds: toDeadlineSeconds(leaseMs),
      });
    }
    return received.map((message) => ({
      ackId: message.ackId ?? '',
      id: idOf(message),
      deliveryAttempt: message.deliveryAttempt ?? 0,
      attributes: message.message?.attributes ?? {},
    }));
  }

  ack(subscription: string, ackId: string): Promise<void> {
    return this.#acks.add(subscription, ackId);
  }

  /** Moves the message's deadline to leaseMs from now (capped at 600 s); 0 hands it back. */
  setLease(subscription: string, ackId: string, leaseMs: number): Promise<void> {
    return this.#deadlines.add(`${subscription}\n${toDeadlineSeconds(leaseMs)}`, ackId);
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
      await this.pubsub.close();
    }
  }
}

function toDeadlineSeconds(leaseMs: number): number {
  return Math.min(maxAckDeadlineSeconds, Math.max(0, Math.ceil(leaseMs / 1000)));
}

function idOf(message: ReceivedMessage): string {
  const data = message.message?.data;
  if (data === null || data === undefined) {
    return '';
  }
  return typeof data === 'string'
    ? Buffer.from(data, 'base64').toString('utf8')
    : Buffer.from(data).toString('utf8');
}
