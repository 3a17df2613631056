import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerMetricNames } from '../metrics/worker-metrics.ts';
import { PermanentJobError, RetryableJobError } from './job-errors.ts';
import { createFakeEngine, type FakeEngineOptions } from './test-support/fake-generation-engine.ts';
import { createInMemoryJobQueue } from './test-support/in-memory-job-queue.ts';
import { createInMemoryJobStore } from './test-support/in-memory-job-store.ts';
import { metricValue, startLoop, testConfig, waitFor } from './test-support/run-loop-harness.ts';

function partsFailing(failWith: FakeEngineOptions['failWith']) {
  return {
    queue: createInMemoryJobQueue(testConfig.maxAttempts),
    store: createInMemoryJobStore(),
    engine: createFakeEngine({ failWith }),
  };
}

test('a retryable engine error releases and nacks the job; the redelivery succeeds', async (t) => {
  let failures = 1;
  const parts = partsFailing(() =>
    failures-- > 0 ? new RetryableJobError('engine_busy', 'out of memory for a moment') : null,
  );
  parts.store.add('r1');
  await parts.queue.publish(['r1']);
  const { loop, registry } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('succeeded', () => parts.store.jobs.get('r1')?.status === 'succeeded');
  assert.deepEqual(
    parts.store.writes.filter((write) => write.endsWith(':r1')),
    ['claim:r1', 'release:r1', 'claim:r1', 'complete:r1'],
  );
  assert.equal(parts.queue.count('nack', 'r1'), 1);
  assert.equal(parts.store.jobs.get('r1')?.attempts, 2);
  assert.equal(await metricValue(registry, workerMetricNames.jobs, { outcome: 'released' }), 1);
});

test('an unknown engine error counts as retryable', async (t) => {
  let failures = 1;
  const parts = partsFailing(() => (failures-- > 0 ? new Error('onnxruntime hiccup') : null));
  parts.store.add('u1');
  await parts.queue.publish(['u1']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('succeeded', () => parts.store.jobs.get('u1')?.status === 'succeeded');
  assert.equal(parts.queue.count('nack', 'u1'), 1);
});

test('a permanent engine error fails the job with its code and acks it', async (t) => {
  const parts = partsFailing(() => new PermanentJobError('unsupported_params', 'no such sampler'));
  parts.store.add('p1');
  await parts.queue.publish(['p1']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('acked', () => parts.queue.messages.size === 0);
  const job = parts.store.jobs.get('p1')!;
  assert.equal(job.status, 'failed');
  assert.deepEqual(job.error, { code: 'unsupported_params', message: 'no such sampler' });
  assert.equal(parts.queue.count('nack'), 0);
  assert.equal(parts.engine.calls.length, 1);
});

test('a permanent error in a batch fails only the row that causes it', async (t) => {
  const parts = partsFailing((requests) =>
    requests.some((request) => request.prompt.includes('poison'))
      ? new PermanentJobError('bad_row', 'this row breaks the model')
      : null,
  );
  parts.store.add('ok-1');
  parts.store.add('bad', { prompt: 'poison pill' });
  parts.store.add('ok-2');
  await parts.queue.publish(['ok-1', 'bad', 'ok-2']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('all settled', () => parts.queue.messages.size === 0);
  assert.equal(parts.store.jobs.get('bad')?.error?.code, 'bad_row');
  assert.equal(parts.store.jobs.get('ok-1')?.status, 'succeeded');
  assert.equal(parts.store.jobs.get('ok-2')?.status, 'succeeded');
  // Each job is its own generate() call into the running batch: the failing one fails
  // alone and its neighbours are admitted together.
  assert.deepEqual(parts.engine.calls.map((call) => call.length).sort(), [1, 2]);
});

test('a job that keeps failing is dead-lettered and marked failed with the reason', async (t) => {
  const parts = partsFailing(() => new RetryableJobError('engine_busy', 'still busy'));
  parts.store.add('d1');
  await parts.queue.publish(['d1']);
  const { loop, registry } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('dead letter handled', () => parts.queue.count('ackDead', 'd1') === 1);
  const job = parts.store.jobs.get('d1')!;
  assert.equal(job.status, 'failed');
  assert.equal(job.error?.code, 'max_attempts_exceeded');
  assert.match(job.error?.message ?? '', /3 deliveries/);
  assert.equal(parts.engine.calls.length, testConfig.maxAttempts);
  assert.equal(
    await metricValue(registry, workerMetricNames.jobs, { outcome: 'dead_lettered' }),
    1,
  );
});

test('a dead letter for a job another worker still holds is left for a later drain', async (t) => {
  const parts = partsFailing(() => null);
  const leaseExpiresAtMs = Date.now() + 150;
  parts.store.add('held', { status: 'running', leaseOwner: 'worker-z', leaseExpiresAtMs });
  await parts.queue.publish(['held']);
  // Exhaust the message's deliveries without anyone acking: it goes to the dead-letter path.
  for (let attempt = 0; attempt <= testConfig.maxAttempts; attempt += 1) {
    const [message] = await parts.queue.pull(1, 1_000, 0);
    if (message) {
      await parts.queue.nack(message);
    }
  }
  assert.equal((await parts.queue.pullDeadLetters(10)).length, 1);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(parts.store.jobs.get('held')?.status, 'running', 'live lease: not failed yet');
  // Once worker-z's lease has run out, the next drain fails the job.
  await waitFor('failed after the lease', () => parts.store.jobs.get('held')?.status === 'failed');
  assert.ok(Date.now() >= leaseExpiresAtMs);
  assert.equal(parts.queue.count('ackDead', 'held'), 1);
});

test('a store outage at claim leaves the message; the job runs once the store is back', async (t) => {
  const parts = partsFailing(() => null);
  parts.store.add('o1');
  parts.store.failNext('claimJob', 1);
  await parts.queue.publish(['o1']);
  const { loop, logger } = startLoop({ ...parts, config: { leaseMs: 100 } });
  t.after(() => loop.stop());
  await waitFor('succeeded', () => parts.store.jobs.get('o1')?.status === 'succeeded');
  assert.equal(parts.queue.count('nack'), 0, 'left alone, not nacked');
  // At least one redelivery after the lease; a loaded machine can slip a renewal timer past
  // the 100 ms lease and add another, which the conditional claim absorbs.
  assert.ok(parts.queue.count('pull', 'o1') >= 2, 'redelivered after its lease');
  assert.ok(logger.messages('error').includes('claim failed; message left to expire'));
});

test('validate() that throws releases the job with the reason, without generating', async (t) => {
  const parts = partsFailing(() => null);
  let throws = 1;
  const validate = parts.engine.validate;
  parts.engine.validate = (request) => {
    if (throws-- > 0) {
      throw new TypeError("Cannot read properties of null (reading 'map')");
    }
    return validate(request);
  };
  parts.store.add('v1');
  await parts.queue.publish(['v1']);
  const { loop, logger } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('succeeded', () => parts.store.jobs.get('v1')?.status === 'succeeded');
  const released = logger.entries.find((entry) => entry.message === 'job released');
  assert.match(String(released?.fields.why), /^validate threw: Cannot read properties of null/);
  assert.deepEqual(
    parts.store.writes.filter((write) => write.endsWith(':v1')),
    ['claim:v1', 'release:v1', 'claim:v1', 'complete:v1'],
  );
  assert.equal(parts.engine.calls.length, 1, 'generated only after the second claim');
});
