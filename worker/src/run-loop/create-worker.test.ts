import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createWorker } from './create-worker.ts';
import { createRecordingLogger } from './test-support/recording-logger.ts';
import { plainParts, testConfig, waitFor } from './test-support/run-loop-harness.ts';

test('createWorker wires metrics on the registry and runs jobs until stopped', async (t) => {
  const parts = plainParts();
  const registry = new Registry();
  const logger = createRecordingLogger();
  const worker = createWorker({ ...parts, logger, registry, config: testConfig, workerId: 'w-1' });
  t.after(() => worker.stop());
  parts.store.add('e2e');
  await parts.queue.publish(['e2e']);
  worker.start();
  await waitFor('succeeded', () => parts.store.jobs.get('e2e')?.status === 'succeeded');
  assert.equal(parts.store.jobs.get('e2e')?.leaseOwner, 'w-1');
  await worker.stop();
  await worker.done;
  assert.match(await registry.metrics(), /^warmgen_worker_jobs_total\{outcome="succeeded"\} 1$/m);
  const started = logger.entries.find((entry) => entry.message === 'run loop started');
  assert.equal(started?.fields.workerId, 'w-1');
  assert.equal(started?.fields.capacity, 8);
});
