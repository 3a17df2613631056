import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './config-error.ts';
import { readScaleConfig } from './scale-config.ts';

const job = 'projects/my-project/locations/europe-west4/jobs/warmgen-worker';
const pool = 'projects/my-project/locations/europe-west4/workerPools/warmgen-pool';

function refused(
  env: Record<string, string>,
  variable: string,
  message: RegExp,
  backend: 'gcp' | 'embedded' = 'gcp',
) {
  assert.throws(
    () => readScaleConfig(env, backend),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.variable, variable);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('readScaleConfig', () => {
  it('is off by default, with the documented defaults', () => {
    const config = readScaleConfig({}, 'embedded');
    assert.equal(config.mode, 'off');
    assert.equal(config.job, null);
    assert.equal(config.maxWorkers, 10);
    assert.equal(config.jobsPerWorker, 100);
    assert.equal(config.apiEndpoint, null);
  });

  it('reads job mode with its job, bounds and an Admin API endpoint', () => {
    const config = readScaleConfig(
      {
        SCALE_MODE: 'job',
        SCALE_JOB: job,
        SCALE_MAX_WORKERS: '4',
        SCALE_JOBS_PER_WORKER: '50',
        CLOUD_RUN_API_ENDPOINT: 'http://127.0.0.1:9000',
      },
      'gcp',
    );
    assert.equal(config.mode, 'job');
    assert.equal(config.job, job);
    assert.equal(config.maxWorkers, 4);
    assert.equal(config.jobsPerWorker, 50);
    assert.equal(config.apiEndpoint?.origin, 'http://127.0.0.1:9000');
  });

  it('reads pool mode with a minimum', () => {
    const config = readScaleConfig(
      {
        SCALE_MODE: 'pool',
        SCALE_WORKER_POOL: pool,
        SCALE_MIN_WORKERS: '1',
        SCALE_MAX_WORKERS: '3',
      },
      'gcp',
    );
    assert.equal(config.workerPool, pool);
    assert.equal(config.minWorkers, 1);
  });

  it('refuses contradictory and out-of-range settings, naming the variable', () => {
    refused({ SCALE_MODE: 'job' }, 'SCALE_JOB', /SCALE_MODE=job needs SCALE_JOB/);
    refused({ SCALE_MODE: 'pool' }, 'SCALE_WORKER_POOL', /needs SCALE_WORKER_POOL/);
    refused({ SCALE_MODE: 'job', SCALE_JOB: job }, 'SCALE_MODE', /needs BACKEND=gcp/, 'embedded');
    refused({ SCALE_MODE: 'sometimes' }, 'SCALE_MODE', /one of off, job, pool/);
    refused({ SCALE_MODE: 'job', SCALE_JOB: 'warmgen-worker' }, 'SCALE_JOB', /projects\/PROJECT/);
    refused(
      {
        SCALE_MODE: 'pool',
        SCALE_WORKER_POOL: pool,
        SCALE_MIN_WORKERS: '5',
        SCALE_MAX_WORKERS: '2',
      },
      'SCALE_MAX_WORKERS',
      /\(2\) must be at least SCALE_MIN_WORKERS \(5\)/,
    );
    refused(
      { SCALE_MODE: 'job', SCALE_JOB: job, SCALE_MIN_WORKERS: '1' },
      'SCALE_MIN_WORKERS',
      /pool/,
    );
    refused({ SCALE_MAX_WORKERS: '0' }, 'SCALE_MAX_WORKERS', /from 1 to 10000/);
    refused({ SCALE_JOBS_PER_WORKER: '1.5' }, 'SCALE_JOBS_PER_WORKER', /integer/);
    refused(
      { CLOUD_RUN_API_ENDPOINT: 'http://10.0.0.1:9000' },
      'CLOUD_RUN_API_ENDPOINT',
      /loopback/,
    );
  });
});
