import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Edit, editedTerraform } from '../test-support/repo-fixtures.ts';
import { checkSubscriptions } from './check-subscriptions.ts';

async function problemsWith(edits: Edit[]) {
  return checkSubscriptions(await editedTerraform(edits)).map((p) => `${p.subject}: ${p.message}`);
}

const jobsDeadLetterPolicy = `  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.jobs_dead_letter.id
    max_delivery_attempts = var.max_attempts
  }
`;

/** The webhook subscription's retention line, to put things before it. */
const webhookRetention = '  message_retention_duration = "604800s"\n';

const noDeadLetterPolicy =
  'has no dead_letter_policy (a job that always fails would be redelivered forever)';

describe('checkSubscriptions', () => {
  it("accepts the repository's subscriptions", async () => {
    assert.deepEqual(await problemsWith([]), []);
  });

  it('reports a jobs subscription without a dead-letter policy', async () => {
    const problems = await problemsWith([
      { file: 'pubsub.tf', from: jobsDeadLetterPolicy, to: '' },
    ]);
    assert.deepEqual(problems, [
      `google_pubsub_subscription.jobs: ${noDeadLetterPolicy}`,
      // Nothing names the dead-letter topic any more, so its subscription looks like a work one.
      `google_pubsub_subscription.jobs_dead_letter: ${noDeadLetterPolicy}`,
    ]);
  });

  it('reports a missing retry policy, ack deadline and expiration policy', async () => {
    const problems = await problemsWith([
      {
        file: 'pubsub.tf',
        from: /(resource "google_pubsub_subscription" "jobs" \{[\s\S]*?)\n {2}retry_policy \{\n[^}]*\}\n/,
        to: '$1\n',
      },
      { file: 'pubsub.tf', from: '  ack_deadline_seconds       = 60\n', to: '' },
      {
        file: 'pubsub.tf',
        from: /(subscription" "jobs_dead_letter" \{[\s\S]*?)expiration_policy \{\n {4}ttl = ""\n {2}\}/,
        to: '$1',
      },
    ]);
    assert.deepEqual(problems, [
      'google_pubsub_subscription.jobs: has no retry_policy (a nacked message would come back at once, forever)',
      'google_pubsub_subscription.jobs_dead_letter: needs expiration_policy { ttl = "" }: otherwise it is deleted after 31 idle days',
      'google_pubsub_subscription.webhook_deliveries: has no ack_deadline_seconds (the 10 s default is shorter than a generation)',
    ]);
  });

  it('reports a dead-letter topic nobody subscribes to, and one the service agent cannot publish to', async () => {
    const problems = await problemsWith([
      {
        file: 'pubsub.tf',
        from: 'topic   = google_pubsub_topic.jobs_dead_letter.id',
        to: 'topic   = google_pubsub_topic.jobs.id',
      },
      {
        file: 'iam.tf',
        from: 'topic   = google_pubsub_topic.jobs_dead_letter.name',
        to: 'topic   = google_pubsub_topic.jobs.name',
      },
    ]);
    assert.deepEqual(problems, [
      'google_pubsub_subscription.jobs: the Pub/Sub service agent has no roles/pubsub.publisher on google_pubsub_topic.jobs_dead_letter: dead letters would never be forwarded',
      // It now reads the jobs topic, so it is a work subscription.
      `google_pubsub_subscription.jobs_dead_letter: ${noDeadLetterPolicy}`,
      'google_pubsub_topic.jobs_dead_letter: is a dead-letter topic without a subscription: Pub/Sub would drop its messages',
    ]);
  });

  it('reports a dead-letter policy on a dead-letter subscription', async () => {
    const problems = await problemsWith([
      {
        file: 'pubsub.tf',
        from: '  # No dead-letter policy: this is the end of the line;',
        to: `${jobsDeadLetterPolicy}  #`,
      },
    ]);
    assert.deepEqual(problems, [
      'google_pubsub_subscription.jobs_dead_letter: subscribes to a dead-letter topic and must not have a dead-letter policy of its own',
    ]);
  });

  it("reports a dead-letter policy pointing at the subscription's own topic", async () => {
    const problems = await problemsWith([
      {
        file: 'pubsub.tf',
        from: 'dead_letter_topic     = google_pubsub_topic.jobs_dead_letter.id',
        to: 'dead_letter_topic     = google_pubsub_topic.jobs.id',
      },
    ]);
    assert.deepEqual(problems, [
      "google_pubsub_subscription.jobs: dead_letter_topic is the subscription's own topic",
      // The jobs' dead-letter topic is no longer one, so its subscription needs a policy.
      `google_pubsub_subscription.jobs_dead_letter: ${noDeadLetterPolicy}`,
    ]);
  });

  it('reports a dead-letter policy, a retry policy or a shorter retention on the webhook delivery subscription', async () => {
    const problems = await problemsWith([
      {
        file: 'pubsub.tf',
        from: webhookRetention,
        to: `  message_retention_duration = local.message_retention

${jobsDeadLetterPolicy}
  retry_policy {
    minimum_backoff = "5s"
    maximum_backoff = "600s"
  }
`,
      },
    ]);
    const webhook =
      'google_pubsub_subscription.webhook_deliveries: is the webhook delivery subscription';
    assert.deepEqual(problems, [
      `${webhook} and must have no dead_letter_policy: every postponement of a waiting event counts as a delivery attempt, so events would be dead-lettered while the event store still schedules them`,
      `${webhook} and must have no retry_policy: its backoff follows every expired ack deadline and would delay attempts past the event store's schedule`,
      `${webhook} and must keep messages 7 days (message_retention_duration = "604800s", not \${local.message_retention}): a message must outlive its event's retry schedule`,
    ]);
  });

  it('exempts only the subscription the services name as WEBHOOK_PUBSUB_SUBSCRIPTION', async () => {
    // Pointed elsewhere, the webhook subscription is an ordinary work subscription again...
    const renamed = await problemsWith([
      {
        file: 'locals.tf',
        from: 'WEBHOOK_PUBSUB_SUBSCRIPTION     = google_pubsub_subscription.webhook_deliveries.name',
        to: 'WEBHOOK_PUBSUB_SUBSCRIPTION     = "elsewhere"',
      },
    ]);
    assert.deepEqual(renamed, [
      'google_pubsub_subscription.webhook_deliveries: has no retry_policy (a nacked message would come back at once, forever)',
      `google_pubsub_subscription.webhook_deliveries: ${noDeadLetterPolicy}`,
    ]);
    // ...and naming the jobs subscription does not exempt it.
    const jobs = await problemsWith([
      {
        file: 'locals.tf',
        from: 'WEBHOOK_PUBSUB_SUBSCRIPTION     = google_pubsub_subscription.webhook_deliveries.name',
        to: 'WEBHOOK_PUBSUB_SUBSCRIPTION     = google_pubsub_subscription.jobs.name',
      },
      { file: 'pubsub.tf', from: jobsDeadLetterPolicy, to: '' },
    ]);
    assert.deepEqual(jobs, [
      'google_pubsub_subscription.jobs: is both the job subscription and the webhook delivery subscription',
      `google_pubsub_subscription.jobs: ${noDeadLetterPolicy}`,
      `google_pubsub_subscription.jobs_dead_letter: ${noDeadLetterPolicy}`,
      'google_pubsub_subscription.webhook_deliveries: has no retry_policy (a nacked message would come back at once, forever)',
      `google_pubsub_subscription.webhook_deliveries: ${noDeadLetterPolicy}`,
    ]);
  });
});
