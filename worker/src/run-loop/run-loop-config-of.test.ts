import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from '@warmgen/shared/config/load-config.ts';
import { runLoopConfigOf } from './run-loop-config-of.ts';

it('turns the configured seconds into the milliseconds the loop counts in', () => {
  const config = loadConfig({
    LEASE_SECONDS: '45',
    SHUTDOWN_GRACE_SECONDS: '7',
    WORKER_MODE: 'drain',
    IDLE_EXIT_SECONDS: '12',
  });
  const worker = runLoopConfigOf(config, 16, 'worker');
  assert.deepEqual(
    { maxBatch: worker.maxBatch, leaseMs: worker.leaseMs, shutdownGraceMs: worker.shutdownGraceMs },
    { maxBatch: 16, leaseMs: 45_000, shutdownGraceMs: 7_000 },
  );
  assert.equal(worker.idleExitMs, 12_000);
  // npm start serves the API too: drain mode's idle exit would stop it taking jobs.
  assert.equal(runLoopConfigOf(config, 16, 'standalone').idleExitMs, undefined);
  assert.equal(runLoopConfigOf(loadConfig({}), 4, 'worker').idleExitMs, undefined);
});
