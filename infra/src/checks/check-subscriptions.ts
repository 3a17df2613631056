import {
  block,
  type HclBody,
  isBody,
  resourcesOfType,
  type TerraformConfig,
} from '../terraform/terraform-config.ts';
import { principalOf } from './check-iam-roles.ts';
import type { Problem } from './problem.ts';

/** Pub/Sub's longest message retention on a subscription. */
const sevenDays = '604800s';

/**
 * Pub/Sub subscriptions against what the queue adapters rely on:
 * - every subscription has an explicit ack deadline and never expires;
 * - the webhook delivery subscription (the one the services' WEBHOOK_PUBSUB_SUBSCRIPTION
 *   names) has no dead-letter policy, no retry policy and 7 days' retention: its worker
 *   postpones a waiting event by setting the message's ack deadline (at most 600 s), every
 *   return counts as a delivery attempt and triggers the retry backoff, and the event
 *   store, not Pub/Sub, decides when delivery is over (PubSubWebhookDeliveryQueue);
 * - every other subscription has a retry policy; every subscription of a work topic (the
 *   jobs) has a dead-letter policy naming another topic of this configuration, with
 *   max_delivery_attempts; subscriptions of dead-letter topics have none (dead letters of
 *   dead letters would loop);
 * - every dead-letter topic has a subscription (Pub/Sub drops messages published to a topic
 *   nobody subscribes to), and the Pub/Sub service agent may publish to it and acknowledge
 *   on the source subscription (or nothing is ever forwarded).
 */
export function checkSubscriptions(config: TerraformConfig): Problem[] {
  const problems: Problem[] = [];
  const report = (subject: string, message: string) =>
    problems.push({ check: 'pubsub', subject, message });

  const topics = new Set(resourcesOfType(config, 'google_pubsub_topic').map((t) => t.address));
  const subscriptions = resourcesOfType(config, 'google_pubsub_subscription');
  // Topics some subscription dead-letters to (a subscription naming its own topic is
  // reported below, not taken as making that topic a dead-letter topic).
  const deadLetterTopics = new Set(
    subscriptions.flatMap((s) => {
      const target = referencedAddress(
        block(s.body, 'dead_letter_policy')?.dead_letter_topic,
        'google_pubsub_topic',
      );
      const own = referencedAddress(s.body.topic, 'google_pubsub_topic');
      return target === undefined || target === own ? [] : [target];
    }),
  );
  const agentGrants = pubsubAgentGrants(config);
  const webhookSubscriptions = subscriptionsNamedBy(config, 'WEBHOOK_PUBSUB_SUBSCRIPTION');
  for (const jobs of subscriptionsNamedBy(config, 'PUBSUB_SUBSCRIPTION')) {
    if (webhookSubscriptions.has(jobs)) {
      report(jobs, 'is both the job subscription and the webhook delivery subscription');
      webhookSubscriptions.delete(jobs);
    }
  }

  for (const subscription of subscriptions) {
    const { address, body } = subscription;
    const topic = referencedAddress(body.topic, 'google_pubsub_topic');
    if (topic === undefined || !topics.has(topic)) {
      report(
        address,
        `topic ${String(body.topic)} is not a google_pubsub_topic of this configuration`,
      );
    }
    if (body.ack_deadline_seconds === undefined) {
      report(
        address,
        'has no ack_deadline_seconds (the 10 s default is shorter than a generation)',
      );
    }
    if (block(body, 'expiration_policy')?.ttl !== '') {
      report(
        address,
        'needs expiration_policy { ttl = "" }: otherwise it is deleted after 31 idle days',
      );
    }
    if (webhookSubscriptions.has(address)) {
      checkWebhookDeliverySubscription(body, (message) => report(address, message));
      continue;
    }

    const retry = block(body, 'retry_policy');
    if (retry === undefined) {
      report(address, 'has no retry_policy (a nacked message would come back at once, forever)');
    } else if (retry.minimum_backoff === undefined || retry.maximum_backoff === undefined) {
      report(address, 'retry_policy must set minimum_backoff and maximum_backoff');
    }

    const deadLetter = block(body, 'dead_letter_policy');
    if (topic !== undefined && deadLetterTopics.has(topic)) {
      if (deadLetter !== undefined) {
        report(
          address,
          'subscribes to a dead-letter topic and must not have a dead-letter policy of its own',
        );
      }
      continue;
    }
    if (deadLetter === undefined) {
      report(
        address,
        'has no dead_letter_policy (a job that always fails would be redelivered forever)',
      );
      continue;
    }
    const target = referencedAddress(deadLetter.dead_letter_topic, 'google_pubsub_topic');
    if (target === undefined || !topics.has(target)) {
      report(
        address,
        `dead_letter_topic ${String(deadLetter.dead_letter_topic)} is not a google_pubsub_topic of this configuration`,
      );
    } else if (target === topic) {
      report(address, "dead_letter_topic is the subscription's own topic");
    } else if (!agentGrants.has(`roles/pubsub.publisher\n${target}`)) {
      report(
        address,
        `the Pub/Sub service agent has no roles/pubsub.publisher on ${target}: dead letters would never be forwarded`,
      );
    }
    if (deadLetter.max_delivery_attempts === undefined) {
      report(address, 'dead_letter_policy must set max_delivery_attempts');
    }
    if (!agentGrants.has(`roles/pubsub.subscriber\n${address}`)) {
      report(
        address,
        'the Pub/Sub service agent has no roles/pubsub.subscriber on it: dead letters would never be forwarded',
      );
    }
  }

  for (const deadLetterTopic of deadLetterTopics) {
    const subscribed = subscriptions.some(
      (s) => referencedAddress(s.body.topic, 'google_pubsub_topic') === deadLetterTopic,
    );
    if (!subscribed) {
      report(
        deadLetterTopic,
        'is a dead-letter topic without a subscription: Pub/Sub would drop its messages',
      );
    }
  }
  return problems;
}

/** The documented exception: see the comment on checkSubscriptions. */
function checkWebhookDeliverySubscription(body: HclBody, report: (message: string) => void) {
  if (block(body, 'dead_letter_policy') !== undefined) {
    report(
      'is the webhook delivery subscription and must have no dead_letter_policy: every postponement of a waiting event counts as a delivery attempt, so events would be dead-lettered while the event store still schedules them',
    );
  }
  if (block(body, 'retry_policy') !== undefined) {
    report(
      "is the webhook delivery subscription and must have no retry_policy: its backoff follows every expired ack deadline and would delay attempts past the event store's schedule",
    );
  }
  if (body.message_retention_duration !== sevenDays) {
    report(
      `is the webhook delivery subscription and must keep messages 7 days (message_retention_duration = "${sevenDays}", not ${String(body.message_retention_duration)}): a message must outlive its event's retry schedule`,
    );
  }
}

/** Subscriptions some `locals` map names under `envName` (the services' environment). */
function subscriptionsNamedBy(config: TerraformConfig, envName: string): Set<string> {
  const named = new Set<string>();
  for (const value of Object.values(config.locals)) {
    if (isBody(value)) {
      const address = referencedAddress(value[envName], 'google_pubsub_subscription');
      if (address !== undefined) {
        named.add(address);
      }
    }
  }
  return named;
}

/** `${google_pubsub_topic.jobs.id}` (or .name) -> google_pubsub_topic.jobs. */
export function referencedAddress(value: unknown, type: string): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const match = new RegExp(`^\\$\\{(${type}\\.[\\w-]+)\\.(id|name)\\}$`).exec(value);
  return match?.[1];
}

/** "role\naddress" for every grant to the Pub/Sub service agent on a topic or subscription. */
function pubsubAgentGrants(config: TerraformConfig): Set<string> {
  const grants = new Set<string>();
  const kinds = [
    ['google_pubsub_topic_iam_member', 'topic', 'google_pubsub_topic'],
    ['google_pubsub_subscription_iam_member', 'subscription', 'google_pubsub_subscription'],
  ] as const;
  for (const [iamType, field, targetType] of kinds) {
    for (const grant of resourcesOfType(config, iamType)) {
      const target = referencedAddress(grant.body[field], targetType);
      if (
        target !== undefined &&
        principalOf(String(grant.body.member ?? ''), config) === 'pubsub-service-agent'
      ) {
        grants.add(`${String(grant.body.role)}\n${target}`);
      }
    }
  }
  return grants;
}
