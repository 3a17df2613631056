import { ExecutionsClient, JobsClient } from '@google-cloud/run';
import type { JobTarget } from '../scale-target.ts';
import { cloudRunClientOptions } from './cloud-run-client-options.ts';

/**
 * A Cloud Run Job as the launcher's target, through the official client: runJob with a
 * taskCount override starts an execution; listExecutions tells which are unfinished.
 * The launcher's service account needs run.jobs.runWithOverrides on this one job and
 * run.executions.list (infra/terraform/scaling.tf's custom role; the offline check
 * infra/src/checks/check-launcher-permissions.ts keeps the two in step).
 */
export function cloudRunJobTarget(
  job: string,
  endpoint: URL | null,
): JobTarget & { close(): Promise<void> } {
  const options = cloudRunClientOptions(endpoint);
  const jobs = new JobsClient(options);
  const executions = new ExecutionsClient(options);
  return {
    kind: 'job',
    async runningTasks() {
      // An execution lists its counts; one without completionTime may still have tasks to run.
      const [list] = await executions.listExecutions(
        { parent: job, pageSize: 100 },
        { autoPaginate: false },
      );
      let running = 0;
      for (const execution of list) {
        if (execution.completionTime) {
          continue;
        }
        const finished =
          (execution.succeededCount ?? 0) +
          (execution.failedCount ?? 0) +
          (execution.cancelledCount ?? 0);
        running += Math.max(0, (execution.taskCount ?? 0) - finished);
      }
      return running;
    },
    async launch(taskCount) {
      // The operation finishes when the execution does; its metadata names it at once.
      const [operation] = await jobs.runJob({ name: job, overrides: { taskCount } });
      const metadata = operation.metadata as { name?: string | null } | null;
      return metadata?.name ?? operation.name ?? 'unknown';
    },
    async close() {
      await Promise.all([jobs.close(), executions.close()]);
    },
  };
}
