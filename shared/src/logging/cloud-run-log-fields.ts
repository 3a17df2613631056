import type { CloudRunTask } from '../config/cloud-run-task.ts';

/**
 * Fields to bind on a logger so every line of a Cloud Run Job task says which execution
 * and task wrote it: `{cloudRun: {job, execution, taskIndex, taskCount, taskAttempt}}`
 * with the unset ones left out, or nothing outside a job. Cloud Logging also labels job
 * entries itself; these travel with the line (exports, local runs, log-based metrics).
 */
export function cloudRunLogFields(task: CloudRunTask | null): { cloudRun?: Partial<CloudRunTask> } {
  if (task === null) {
    return {};
  }
  const set = Object.entries(task).filter(([, value]) => value !== null);
  return { cloudRun: Object.fromEntries(set) as Partial<CloudRunTask> };
}
