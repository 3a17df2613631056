import type { PubSub } from '@google-cloud/pubsub';

/** The four resources behind one job queue (ids, not full resource names). */
export interface PubSubQueueNames {
  topic: string;
  subscription: string;
  deadLetterTopic: string;
  deadLetterSubscription: string;
}

export interface TopologyOptions {
  /** Deliveries before Pub/Sub forwards a message to the dead-letter topic (5-100). */
  maxAttempts: number;
  /** The subscription's default ack deadline; pull() sets each message's own lease. */
  ackDeadlineSeconds: number;
}

/** Longest retention Pub/Sub allows: dead letters wait for a worker to fail their jobs. */
const deadLetterRetentionSeconds = 7 * 24 * 3600;
const alreadyExists = 6;

/**
 * Creates the topics and subscriptions if they do not exist, for local runs against the
 * emulator and for tests. In production Terraform owns them, with the same settings:
 * - the job subscription has a dead-letter policy (which is also what makes Pub/Sub fill
 *   in deliveryAttempt) and no retry policy, so a nack redelivers at once, as the port
 *   says; it never expires;
 * - the dead-letter subscription has no dead-letter policy of its own;
 * - on the real service the Pub/Sub service agent needs publisher on the dead-letter topic
 *   and subscriber on the job subscription, or nothing is ever forwarded (the emulator
 *   has no IAM).
 * Existing resources are left as they are (their settings are not compared).
 */
export async function ensureTopology(
  pubsub: PubSub,
  names: PubSubQueueNames,
  options: TopologyOptions,
): Promise<void> {
  const [topic, deadLetterTopic] = await Promise.all([
    createTopicIfMissing(pubsub, names.topic),
    createTopicIfMissing(pubsub, names.deadLetterTopic),
  ]);
  await Promise.all([
    ignoreExisting(
      topic.createSubscription(names.subscription, {
        ackDeadlineSeconds: options.ackDeadlineSeconds,
        deadLetterPolicy: {
          deadLetterTopic: deadLetterTopic.name,
          maxDeliveryAttempts: options.maxAttempts,
        },
        expirationPolicy: {},
      }),
    ),
    ignoreExisting(
      deadLetterTopic.createSubscription(names.deadLetterSubscription, {
        ackDeadlineSeconds: options.ackDeadlineSeconds,
        messageRetentionDuration: { seconds: deadLetterRetentionSeconds },
        expirationPolicy: {},
      }),
    ),
  ]);
}

/** Deletes the four resources (tests); missing ones are ignored. */
export async function deleteTopology(pubsub: PubSub, names: PubSubQueueNames): Promise<void> {
  const ignoreMissing = (work: Promise<unknown>) => work.catch(() => undefined);
  await Promise.all([
    ignoreMissing(pubsub.subscription(names.subscription).delete()),
    ignoreMissing(pubsub.subscription(names.deadLetterSubscription).delete()),
  ]);
  await Promise.all([
    ignoreMissing(pubsub.topic(names.topic).delete()),
    ignoreMissing(pubsub.topic(names.deadLetterTopic).delete()),
  ]);
}

async function createTopicIfMissing(pubsub: PubSub, name: string) {
  await ignoreExisting(pubsub.createTopic(name));
  return pubsub.topic(name);
}

/** Awaits a create call; ALREADY_EXISTS (another process or run made it) is success. */
export async function ignoreExisting(creation: Promise<unknown>): Promise<void> {
  try {
    await creation;
  } catch (error) {
    if ((error as { code?: unknown }).code !== alreadyExists) {
      throw error;
    }
  }
}
