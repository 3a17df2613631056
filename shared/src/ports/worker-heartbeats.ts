/**
 * Worker heartbeats: one small record per worker process in the store, rewritten every few
 * seconds and valid until its expiry, so a reader (GET /v1/capacity, the API's metrics)
 * sees which workers exist and what they are doing without talking to them. A worker that
 * dies simply stops beating: its record expires and no reader counts it any more.
 *
 * States, in the order a worker passes through them:
 *   starting   the process is up; the model is not local yet
 *   hydrating  downloading the model folder (hydration has bytes done and total)
 *   loading    the folder is local; the engine is loading it
 *   idle       warm, no rows running
 *   busy       warm, running rows (runningRows > 0)
 */
export const workerStates = ['starting', 'hydrating', 'loading', 'idle', 'busy'] as const;
export type WorkerState = (typeof workerStates)[number];

export interface WorkerHeartbeat {
  workerId: string;
  state: WorkerState;
  /** Epoch ms the worker entered `state`. */
  sinceMs: number;
  /** Epoch ms the process started. */
  startedAtMs: number;
  /** Epoch ms this record was written. */
  beatAtMs: number;
  /** Epoch ms after which readers ignore the record (and the store may delete it). */
  expiresAtMs: number;
  /** While hydrating: bytes of the model downloaded so far and in all. */
  hydration: { bytesDone: number; bytesTotal: number } | null;
  /** Rows in the engine's running batch now, and the most it runs at once. */
  runningRows: number;
  maxRows: number;
  /** sha256 of the loaded onnx/model.onnx (null until loaded, or for a graph without a stamp). */
  modelSha256: string | null;
  /** DEVICE: cpu or webgpu. */
  device: string;
  /** New tokens per second over the recent window (all rows together). */
  tokensPerSecond: number;
  /** Jobs finished per second over the same window. */
  jobsPerSecond: number;
  /** Mean wall time of a job from admission to its last token over the window; null: none. */
  meanJobSeconds: number | null;
  /** New tokens generated since the process started (for the generated-tokens counter). */
  tokensTotal: number;
  /** CLOUD_RUN_EXECUTION/task index of a Job task, or null (a pool instance, npm start). */
  task: string | null;
}

export interface WorkerHeartbeats {
  /** Writes (replaces) the worker's record. */
  beat(heartbeat: WorkerHeartbeat): Promise<void>;
  /** Deletes the worker's record (a clean stop); unknown ids are ignored. */
  remove(args: { workerId: string }): Promise<void>;
  /** Records whose expiresAtMs is after nowMs, ordered by workerId. */
  listLive(args: { nowMs: number }): Promise<WorkerHeartbeat[]>;
  close(): Promise<void>;
}
