import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editedTerraform } from '../test-support/repo-fixtures.ts';
import { parseTerraform } from './parse-terraform.ts';
import { block, findResource, resourcesOfType } from './terraform-config.ts';

describe('parseTerraform', () => {
  it("parses the repository's Terraform into resources, variables, locals and outputs", async () => {
    const config = await editedTerraform();
    for (const type of [
      'google_cloud_run_v2_service',
      'google_cloud_run_v2_job',
      'google_cloud_run_v2_worker_pool',
      'google_pubsub_subscription',
      'google_firestore_index',
      'google_secret_manager_secret',
      'google_artifact_registry_repository',
      'google_project_service',
    ]) {
      assert.ok(resourcesOfType(config, type).length > 0, `${type} is declared`);
    }
    assert.ok(config.variables.has('project_id'));
    assert.ok('common_env' in config.locals);
    assert.ok(config.outputs.has('api_url'));
    const subscription = findResource(config, 'google_pubsub_subscription.jobs');
    assert.equal(
      block(subscription?.body ?? {}, 'dead_letter_policy')?.max_delivery_attempts,
      `\${var.max_attempts}`,
    );
  });

  it('rejects a file that is not valid HCL, naming the file and line', async () => {
    await assert.rejects(
      editedTerraform([
        {
          file: 'pubsub.tf',
          from: 'ack_deadline_seconds       = var.lease_seconds',
          to: 'ack_deadline_seconds = ',
        },
      ]),
      /pubsub\.tf:\d+/,
    );
  });

  it('rejects a resource, variable or local declared in two files', async () => {
    const topic = 'resource "google_pubsub_topic" "jobs" {\n  name = "x"\n}\n';
    await assert.rejects(
      parseTerraform([
        { name: 'a.tf', text: topic },
        { name: 'b.tf', text: topic },
      ]),
      /b\.tf: resource google_pubsub_topic\.jobs is declared twice/,
    );
    await assert.rejects(
      parseTerraform([
        { name: 'a.tf', text: 'locals {\n  x = 1\n}\n' },
        { name: 'b.tf', text: 'locals {\n  x = 2\n}\n' },
      ]),
      /local\.x is declared twice/,
    );
  });
});
