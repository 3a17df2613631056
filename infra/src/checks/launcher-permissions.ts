/**
 * Every Cloud Run Admin API call the launcher's adapters make, by hand, with the IAM
 * permission it needs and the scale mode that makes it. check-launcher-permissions.ts
 * compares the calls listed here with the ones in the source (a new call fails until it is
 * listed) and each mode's custom role in infra/terraform/scaling.tf with the permissions
 * listed for the mode (a missing one would fail in production; an extra one is a grant
 * nothing uses). Permissions: https://cloud.google.com/run/docs/reference/iam/permissions
 */
export interface AdminApiCall {
  /** The client method, as called in the source (`jobs.runJob(...)` -> runJob). */
  readonly method: string;
  readonly file: string;
  readonly permission: string;
  readonly mode: 'job' | 'pool';
}

const jobTarget = 'api/src/launcher/cloud-run/cloud-run-job-target.ts';
const poolTarget = 'api/src/launcher/cloud-run/cloud-run-pool-target.ts';

/** Source folder whose client calls must all be listed below (test files excluded). */
export const launcherSourceFolder = 'api/src/launcher/cloud-run';

/** The custom role each mode's grant uses (infra/terraform/scaling.tf). */
export const launcherRoles = {
  job: {
    role: 'google_project_iam_custom_role.launcher_job',
    grant: 'google_cloud_run_v2_job_iam_member.api_runs_worker_job',
  },
  pool: {
    role: 'google_project_iam_custom_role.launcher_pool',
    grant: 'google_cloud_run_v2_worker_pool_iam_member.api_sizes_worker_pool',
  },
} as const;

export const adminApiCalls: readonly AdminApiCall[] = [
  // runJob with overrides.taskCount: runWithOverrides, not run (which refuses overrides).
  { method: 'runJob', file: jobTarget, permission: 'run.jobs.runWithOverrides', mode: 'job' },
  {
    method: 'listExecutions',
    file: jobTarget,
    permission: 'run.executions.list',
    mode: 'job',
  },
  { method: 'getWorkerPool', file: poolTarget, permission: 'run.workerPools.get', mode: 'pool' },
  {
    method: 'updateWorkerPool',
    file: poolTarget,
    permission: 'run.workerPools.update',
    mode: 'pool',
  },
];
