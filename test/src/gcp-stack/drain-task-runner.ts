import type { RunTask, TaskEnv } from '../cloud-run-test-server/cloud-run-test-server.ts';
import type { SupervisedProcess } from './supervised-process.ts';

/**
 * What a Cloud Run Job task is for warmgen, locally: a drain-mode worker process with the
 * variables Cloud Run sets on a task (CLOUD_RUN_EXECUTION, _TASK_INDEX, _TASK_COUNT,
 * _TASK_ATTEMPT), exiting by itself once the queue has been idle for IDLE_EXIT_SECONDS.
 * Its exit code is the task's outcome. For the Cloud Run test server, in dev:gcp and the
 * end-to-end tests (each passes how it spawns a worker).
 */
export function drainTaskRunner(options: {
  spawn: (name: string, env: Record<string, string>) => SupervisedProcess;
  idleExitSeconds: number;
  onStarted?: (task: SupervisedProcess, env: TaskEnv) => void;
}): RunTask {
  return async (env) => {
    const name = `${env.CLOUD_RUN_EXECUTION}-${env.CLOUD_RUN_TASK_INDEX}`;
    const task = options.spawn(name, {
      ...env,
      WORKER_MODE: 'drain',
      IDLE_EXIT_SECONDS: String(options.idleExitSeconds),
    });
    options.onStarted?.(task, env);
    const status = await task.exited;
    return status.code ?? 1;
  };
}
