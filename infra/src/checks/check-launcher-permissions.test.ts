import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Edit, editedInputs } from '../test-support/repo-fixtures.ts';
import { checkLauncherPermissions } from './check-launcher-permissions.ts';
import { adminApiCalls, launcherRoles } from './launcher-permissions.ts';

const jobTarget = 'api/src/launcher/cloud-run/cloud-run-job-target.ts';

async function problemsWith(changes: { terraform?: Edit[]; repo?: Edit[] } = {}) {
  const inputs = await editedInputs(changes);
  return checkLauncherPermissions({
    calls: adminApiCalls,
    sources: inputs.launcherSources,
    terraform: inputs.terraform,
    roles: launcherRoles,
  }).map((p) => `${p.subject}: ${p.message}`);
}

describe('checkLauncherPermissions', () => {
  it("passes on this checkout: each mode's custom role holds exactly what its calls need", async () => {
    const inputs = await editedInputs();
    assert.ok(inputs.launcherSources.some((source) => source.file === jobTarget));
    assert.deepEqual(await problemsWith(), []);
  });

  it('reports a permission the calls need that the role lacks (run.executions.list)', async () => {
    assert.deepEqual(
      await problemsWith({
        terraform: [
          {
            file: 'scaling.tf',
            from: 'permissions = ["run.executions.list", "run.jobs.runWithOverrides"]',
            to: 'permissions = ["run.jobs.runWithOverrides"]',
          },
        ],
      }),
      [
        "google_project_iam_custom_role.launcher_job: lacks run.executions.list, which the job-mode launcher's calls need",
      ],
    );
  });

  it('reports a permission nothing calls for, and a grant of a predefined role', async () => {
    assert.deepEqual(
      await problemsWith({
        terraform: [
          {
            file: 'scaling.tf',
            from: 'permissions = ["run.workerPools.get", "run.workerPools.update"]',
            to: 'permissions = ["run.workerPools.get", "run.workerPools.update", "run.services.update"]',
          },
          {
            file: 'scaling.tf',
            from: 'role     = google_project_iam_custom_role.launcher_job.id',
            to: 'role     = "roles/run.developer"',
          },
        ],
      }),
      [
        `google_cloud_run_v2_job_iam_member.api_runs_worker_job: must bind \${google_project_iam_custom_role.launcher_job.id}, binds roles/run.developer`,
        'google_project_iam_custom_role.launcher_pool: holds run.services.update, which no pool-mode launcher call needs',
      ],
    );
  });

  it('reports an Admin API call in the code that is not listed, and a listed one the code lost', async () => {
    assert.deepEqual(
      await problemsWith({
        repo: [
          {
            file: jobTarget,
            from: 'const [operation] = await jobs.runJob(',
            to: 'await jobs.getJob({ name: job });\n      const [operation] = await jobs.runJob(',
          },
          {
            file: jobTarget,
            from: /executions\.listExecutions\(/,
            to: 'executions.listExecutionsAsync(',
          },
        ],
      }),
      [
        `${jobTarget}: calls listExecutionsAsync, which launcher-permissions.ts does not list (with the permission it needs)`,
        `${jobTarget}: calls getJob, which launcher-permissions.ts does not list (with the permission it needs)`,
        `${jobTarget}: launcher-permissions.ts lists listExecutions, which the code no longer calls`,
      ],
    );
  });
});
