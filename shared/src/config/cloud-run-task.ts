import { ConfigError } from './config-error.ts';
import { type Env, readInteger, readRaw } from './parse-env.ts';

/**
 * Which Cloud Run Job task this process is, from the variables Cloud Run sets on every task
 * of a job execution (never set by the deployment: Cloud Run reserves CLOUD_RUN_*). A
 * drain-mode worker binds them to its log lines, so the lines of one execution and one
 * task can be told apart wherever the logs end up (exports, `gcloud logging read`, locally).
 * https://cloud.google.com/run/docs/container-contract#jobs-env-vars
 */
export interface CloudRunTask {
  /** CLOUD_RUN_JOB: the job's name. */
  readonly job: string | null;
  /** CLOUD_RUN_EXECUTION: the execution's name (job name plus a suffix). */
  readonly execution: string | null;
  /** CLOUD_RUN_TASK_INDEX: 0 .. taskCount - 1. */
  readonly taskIndex: number | null;
  /** CLOUD_RUN_TASK_COUNT: tasks in the execution (the job's --tasks). */
  readonly taskCount: number | null;
  /** CLOUD_RUN_TASK_ATTEMPT: 0 on the first try, then counts the task's retries. */
  readonly taskAttempt: number | null;
}

// Cloud Run caps tasks per execution at 10,000 and retries per task at 10.
const maxTasks = 10_000;
const maxAttempt = 10;
// Job and execution names: lowercase letters, digits and hyphens, a letter first.
const namePattern = /^[a-z][a-z0-9-]{0,99}$/;

/** The task's identity, or null when none of the variables is set (not a Cloud Run Job). */
export function readCloudRunTask(env: Env): CloudRunTask | null {
  const task: CloudRunTask = {
    job: readName(env, 'CLOUD_RUN_JOB'),
    execution: readName(env, 'CLOUD_RUN_EXECUTION'),
    taskIndex: readCount(env, 'CLOUD_RUN_TASK_INDEX', maxTasks - 1),
    taskCount: readCount(env, 'CLOUD_RUN_TASK_COUNT', maxTasks),
    taskAttempt: readCount(env, 'CLOUD_RUN_TASK_ATTEMPT', maxAttempt),
  };
  if (Object.values(task).every((value) => value === null)) {
    return null;
  }
  if (task.taskCount === 0) {
    throw new ConfigError('CLOUD_RUN_TASK_COUNT', 'CLOUD_RUN_TASK_COUNT must be at least 1');
  }
  if (task.taskIndex !== null && task.taskCount !== null && task.taskIndex >= task.taskCount) {
    throw new ConfigError(
      'CLOUD_RUN_TASK_INDEX',
      `CLOUD_RUN_TASK_INDEX (${task.taskIndex}) must be below CLOUD_RUN_TASK_COUNT (${task.taskCount})`,
    );
  }
  return Object.freeze(task);
}

function readName(env: Env, name: string): string | null {
  const raw = readRaw(env, name);
  if (raw === undefined) {
    return null;
  }
  if (!namePattern.test(raw)) {
    throw new ConfigError(
      name,
      `${name} must be a Cloud Run resource name (lowercase letters, digits, hyphens), got "${raw}"`,
    );
  }
  return raw;
}

function readCount(env: Env, name: string, max: number): number | null {
  return readRaw(env, name) === undefined ? null : readInteger(env, name, { min: 0, max }, 0);
}
