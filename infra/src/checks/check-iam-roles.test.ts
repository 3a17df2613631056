import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkedPlans } from '../run-infra-checks.ts';
import { variableValues } from '../terraform/resolve-expression.ts';
import { type Edit, editedTerraform } from '../test-support/repo-fixtures.ts';
import { checkIamRoles, principalOf } from './check-iam-roles.ts';
import { readWorkloads } from './cloud-run-workloads.ts';
import { iamAllowlist } from './iam-allowlist.ts';

async function problemsWith(edits: Edit[] = [], extra = '') {
  const config = await editedTerraform(
    extra === '' ? edits : [...edits, { file: 'iam.tf', from: /$/, to: `\n${extra}` }],
  );
  const { workloads } = readWorkloads({
    config,
    variables: variableValues(config, checkedPlans[0]),
  });
  return checkIamRoles(config, workloads, iamAllowlist).map((p) => `${p.subject}: ${p.message}`);
}

describe('checkIamRoles', () => {
  it("accepts the repository's grants", async () => {
    assert.deepEqual(await problemsWith(), []);
  });

  it('reports a role that is not on the allowlist for that service account', async () => {
    const grant = `resource "google_project_iam_member" "worker_is_editor" {
  project = var.project_id
  role    = "roles/editor"
  member  = "serviceAccount:\${google_service_account.worker.email}"
}`;
    assert.deepEqual(await problemsWith([], grant), [
      'google_project_iam_member.worker_is_editor: roles/editor is not on the allowlist for google_service_account.worker',
    ]);
  });

  it('reports an allowed role granted on a wider resource than allowed', async () => {
    const grant = `resource "google_project_iam_member" "api_publishes_everywhere" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:\${google_service_account.api.email}"
}`;
    assert.deepEqual(await problemsWith([], grant), [
      'google_project_iam_member.api_publishes_everywhere: roles/pubsub.publisher for google_service_account.api may only be granted on google_pubsub_topic_iam_member, not google_project_iam_member',
    ]);
  });

  it('reports authoritative bindings and unknown members', async () => {
    const grants = `resource "google_pubsub_topic_iam_binding" "jobs" {
  project = var.project_id
  topic   = google_pubsub_topic.jobs.name
  role    = "roles/pubsub.publisher"
  members = ["serviceAccount:\${google_service_account.api.email}"]
}
resource "google_storage_bucket_iam_member" "someone" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectViewer"
  member = "user:someone@example.com"
}`;
    assert.deepEqual(await problemsWith([], grants), [
      'google_pubsub_topic_iam_binding.jobs: authoritative IAM resource: use the matching _iam_member resource',
      'google_storage_bucket_iam_member.someone: member user:someone@example.com is not a principal on the allowlist',
    ]);
  });

  it('reports a workload on the default service account, and one account shared by API and workers', async () => {
    const problems = await problemsWith([
      {
        file: 'worker-job.tf',
        from: 'service_account = google_service_account.worker.email',
        to: '',
      },
      {
        file: 'worker-pool.tf',
        from: 'service_account = google_service_account.worker.email',
        to: 'service_account = google_service_account.api.email',
      },
    ]);
    assert.deepEqual(problems, [
      "google_cloud_run_v2_job.worker: runs as the project's default service account: set service_account",
      'google_service_account.api: runs both api and worker: give each its own service account',
    ]);
  });

  it('names principals through locals: the Pub/Sub service agent, accounts, public access', async () => {
    const config = await editedTerraform();
    assert.equal(
      principalOf(`serviceAccount:\${local.pubsub_service_agent}`, config),
      'pubsub-service-agent',
    );
    assert.equal(
      principalOf(`\${google_service_account.worker.member}`, config),
      'google_service_account.worker',
    );
    assert.equal(principalOf('allUsers', config), 'allUsers');
    assert.equal(principalOf('serviceAccount:x@y.iam.gserviceaccount.com', config), undefined);
  });
});
