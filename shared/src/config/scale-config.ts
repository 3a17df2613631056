import { readApiOrigin } from './api-origin.ts';
import { configDefaults as defaults } from './config-defaults.ts';
import { ConfigError } from './config-error.ts';
import { type Env, readChoice, readInteger, readRaw } from './parse-env.ts';

export const scaleModes = ['off', 'job', 'pool'] as const;
export type ScaleMode = (typeof scaleModes)[number];

/**
 * The launcher's settings (SCALE_*), read by the API process: whether it starts Cloud Run
 * Job executions (`job`) or sizes a worker pool (`pool`) from the backlog, and within
 * which bounds. Off by default: a deployment opts in, and then must name what to scale.
 */
export interface ScaleConfig {
  readonly mode: ScaleMode;
  /** SCALE_JOB: projects/P/locations/L/jobs/J, the job whose executions are started. */
  readonly job: string | null;
  /** SCALE_WORKER_POOL: projects/P/locations/L/workerPools/W, the pool that is sized. */
  readonly workerPool: string | null;
  /** SCALE_MIN_WORKERS: instances a pool keeps (pool mode; job mode always goes to zero). */
  readonly minWorkers: number;
  /** SCALE_MAX_WORKERS: the most tasks running at once (job) or instances (pool). */
  readonly maxWorkers: number;
  /** SCALE_JOBS_PER_WORKER: queued jobs per task or instance: ceil(backlog / this). */
  readonly jobsPerWorker: number;
  /** SCALE_IDLE_SECONDS: a pool goes down to its minimum after this long with nothing to do. */
  readonly idleSeconds: number;
  /** SCALE_INTERVAL_SECONDS: the timer between decisions (accepted work also triggers one). */
  readonly intervalSeconds: number;
  /**
   * HEARTBEAT_SECONDS: how often a worker rewrites its heartbeat record (GET /v1/capacity);
   * a record expires after four of these. Read by the workers, whatever SCALE_MODE is.
   */
  readonly heartbeatSeconds: number;
  /** CLOUD_RUN_API_ENDPOINT: the Admin API's origin; null = the real service. */
  readonly apiEndpoint: URL | null;
}

const jobPattern =
  /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/locations\/[a-z0-9-]+\/jobs\/[a-z][a-z0-9-]{0,62}$/;
const poolPattern =
  /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/locations\/[a-z0-9-]+\/workerPools\/[a-z][a-z0-9-]{0,62}$/;

export function readScaleConfig(env: Env, backend: 'embedded' | 'gcp'): ScaleConfig {
  const mode = readChoice(env, 'SCALE_MODE', scaleModes, defaults.scaleMode);
  if (mode !== 'off' && backend !== 'gcp') {
    throw new ConfigError(
      'SCALE_MODE',
      `SCALE_MODE=${mode} needs BACKEND=gcp (it starts Cloud Run workers); use SCALE_MODE=off`,
    );
  }
  const job = resource(env, 'SCALE_JOB', jobPattern, 'projects/PROJECT/locations/REGION/jobs/JOB');
  const workerPool = resource(
    env,
    'SCALE_WORKER_POOL',
    poolPattern,
    'projects/PROJECT/locations/REGION/workerPools/POOL',
  );
  if (mode === 'job' && job === null) {
    throw new ConfigError(
      'SCALE_JOB',
      'SCALE_MODE=job needs SCALE_JOB (projects/P/locations/L/jobs/J)',
    );
  }
  if (mode === 'pool' && workerPool === null) {
    throw new ConfigError(
      'SCALE_WORKER_POOL',
      'SCALE_MODE=pool needs SCALE_WORKER_POOL (projects/P/locations/L/workerPools/W)',
    );
  }
  const minWorkers = readInteger(
    env,
    'SCALE_MIN_WORKERS',
    { min: 0, max: 1_000 },
    defaults.scaleMinWorkers,
  );
  if (mode === 'job' && minWorkers > 0) {
    throw new ConfigError(
      'SCALE_MIN_WORKERS',
      'SCALE_MIN_WORKERS applies to SCALE_MODE=pool; job executions always end at zero (drain mode)',
    );
  }
  // Cloud Run caps tasks per execution at 10,000; instances per pool are quota-bound.
  const maxWorkers = readInteger(
    env,
    'SCALE_MAX_WORKERS',
    { min: 1, max: 10_000 },
    defaults.scaleMaxWorkers,
  );
  if (maxWorkers < minWorkers) {
    throw new ConfigError(
      'SCALE_MAX_WORKERS',
      `SCALE_MAX_WORKERS (${maxWorkers}) must be at least SCALE_MIN_WORKERS (${minWorkers})`,
    );
  }
  return {
    mode,
    job: mode === 'job' ? job : null,
    workerPool: mode === 'pool' ? workerPool : null,
    minWorkers,
    maxWorkers,
    jobsPerWorker: readInteger(
      env,
      'SCALE_JOBS_PER_WORKER',
      { min: 1, max: 1_000_000 },
      defaults.scaleJobsPerWorker,
    ),
    idleSeconds: readInteger(
      env,
      'SCALE_IDLE_SECONDS',
      { min: 0, max: 86_400 },
      defaults.scaleIdleSeconds,
    ),
    intervalSeconds: readInteger(
      env,
      'SCALE_INTERVAL_SECONDS',
      { min: 1, max: 3_600 },
      defaults.scaleIntervalSeconds,
    ),
    heartbeatSeconds: readInteger(
      env,
      'HEARTBEAT_SECONDS',
      { min: 1, max: 60 },
      defaults.heartbeatSeconds,
    ),
    apiEndpoint: readApiOrigin(env, 'CLOUD_RUN_API_ENDPOINT', '/v2/...'),
  };
}

function resource(env: Env, name: string, pattern: RegExp, form: string): string | null {
  const raw = readRaw(env, name);
  if (raw === undefined) {
    return null;
  }
  if (!pattern.test(raw)) {
    throw new ConfigError(name, `${name} must be ${form}, got "${raw}"`);
  }
  return raw;
}
