/**
 * What the launcher scales, behind one port per kind (adapters: cloud-run/). Every call
 * may throw (an Admin API outage, a refusal); the launcher retries with back-off.
 */
export interface JobTarget {
  readonly kind: 'job';
  /** Tasks of the job's unfinished executions that have not finished yet. */
  runningTasks(): Promise<number>;
  /** Starts an execution with `taskCount` tasks; resolves with its name. */
  launch(taskCount: number): Promise<string>;
}

export interface PoolTarget {
  readonly kind: 'pool';
  instanceCount(): Promise<number>;
  setInstanceCount(count: number): Promise<void>;
}

export type ScaleTarget = JobTarget | PoolTarget;
