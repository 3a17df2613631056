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

describe('checkSubscriptions', () => {
  it("accepts the repository's subscriptions", async () => {
    assert.deepEqual(await problemsWith([]), []);
  });

  it('reports a work subscription without a dead-letter policy', async () => {
    const problems = await problemsWith([
      { file: 'pubsub.tf', from: jobsDeadLetterPolicy, to: '' },
    ]);
    assert.deepEqual(problems, [
      'google_pubsub_subscription.jobs: has no dead_letter_policy (a job that always fails would be redelivered forever)',
      // Nothing names the dead-letter topic any more, so its subscription looks like a work one.
      'google_pubsub_subscription.jobs_dead_letter: has no dead_letter_policy (a job that always fails would be redelivered forever)',
    ]);
  });

  it('reports a missing retry policy, ack deadline and expiration policy', async () => {
    const problems = await problemsWith([
      {
        file: 'pubsub.tf',
        from: /(resource "google_pubsub_subscription" "webhook_deliveries" \{[\s\S]*?)\n {2}retry_policy \{\n[^}]*\}\n/,
        to: '$1\n',
      },
      { file: 'pubsub.tf', from: '  ack_deadline_seconds       = 60\n', to: '' },
      {
        file: 'pubsub.tf',
        from: /(subscription" "webhook_deliveries_dead_letter" \{[\s\S]*?)expiration_policy \{\n {4}ttl = ""\n {2}\}/,
        to: '$1',
      },
    ]);
    assert.deepEqual(problems, [
      'google_pubsub_subscription.webhook_deliveries: has no retry_policy (a nacked message would come back at once, forever)',
      'google_pubsub_subscription.webhook_deliveries: has no ack_deadline_seconds (the 10 s default is shorter than a generation)',
      'google_pubsub_subscription.webhook_deliveries_dead_letter: needs expiration_policy { ttl = "" }: otherwise it is deleted after 31 idle days',
    ]);
  });

  it('reports a dead-letter topic nobody subscribes to, and one the service agent cannot publish to', async () => {
    const problems = await problemsWith([
      {
        file: 'pubsub.tf',
        from: 'topic   = google_pubsub_topic.jobs_dead_letter.id',
        to: 'topic   = google_pubsub_topic.webhook_deliveries_dead_letter.id',
      },
      {
        file: 'iam.tf',
        from: 'topic   = google_pubsub_topic.jobs_dead_letter.name',
        to: 'topic   = google_pubsub_topic.jobs.name',
      },
    ]);
    assert.deepEqual(problems, [
      'google_pubsub_subscription.jobs: the Pub/Sub service agent has no roles/pubsub.publisher on google_pubsub_topic.jobs_dead_letter: dead letters would never be forwarded',
      'google_pubsub_topic.jobs_dead_letter: is a dead-letter topic without a subscription: Pub/Sub would drop its messages',
    ]);
  });

  it('reports a dead-letter policy on a dead-letter subscription, and one pointing at its own topic', async () => {
    const problems = await problemsWith([
      {
        file: 'pubsub.tf',
        from: '  # No dead-letter policy: this is the end of the line;',
        to: `${jobsDeadLetterPolicy}  #`,
      },
      {
        file: 'pubsub.tf',
        from: 'dead_letter_topic     = google_pubsub_topic.webhook_deliveries_dead_letter.id',
        to: 'dead_letter_topic     = google_pubsub_topic.webhook_deliveries.id',
      },
    ]);
    assert.deepEqual(problems, [
      'google_pubsub_subscription.jobs_dead_letter: subscribes to a dead-letter topic and must not have a dead-letter policy of its own',
      "google_pubsub_subscription.webhook_deliveries: dead_letter_topic is the subscription's own topic",
      // The webhook dead-letter topic is no longer one, so its subscription needs a policy.
      'google_pubsub_subscription.webhook_deliveries_dead_letter: has no dead_letter_policy (a job that always fails would be redelivered forever)',
    ]);
  });
});
