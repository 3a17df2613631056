import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { workerMetricNames } from '../metrics/worker-metrics.ts';
import { createFakeEngine } from './test-support/fake-generation-engine.ts';
import { metricValue, plainParts, startLoop, waitFor } from './test-support/run-loop-harness.ts';

const longParams = (tokens: number) => resolveGenerationParams({ max_new_tokens: tokens });

test('a long generation keeps its store and queue leases alive', async (t) => {
  const parts = plainParts({ stepMs: 10 });
  parts.store.add('long', { params: longParams(40) });
  await parts.queue.publish(['long']);
  // leaseMs 120 against a ~400 ms generation: without renewal, worker-b would take it over.
  const config = { leaseMs: 120, cancelPollMs: 1_000 };
  const a = startLoop({ ...parts, workerId: 'worker-a', config });
  await waitFor('claimed by a', () => parts.store.jobs.get('long')?.leaseOwner === 'worker-a');
  const b = startLoop({ ...parts, workerId: 'worker-b', config });
  t.after(() => Promise.all([a.loop.stop(), b.loop.stop()]));
  await waitFor('succeeded', () => parts.store.jobs.get('long')?.status === 'succeeded');
  assert.deepEqual(parts.store.writes, ['claim:long', 'complete:long']);
  // Renewal every leaseMs/3 gives ~10 extensions here; a loaded machine delays timers, so
  // the assertion is only that renewal happened — the takeover checks above are the point.
  assert.ok(parts.queue.count('extend', 'long') >= 1, `extends: ${parts.queue.count('extend')}`);
  assert.equal(parts.queue.count('pull', 'long'), 1, 'never redelivered');
  assert.equal(parts.store.jobs.get('long')?.result?.completionTokens, 40);
});

test('a row whose store lease was taken over is aborted and not recorded', async (t) => {
  const parts = plainParts({ stepMs: 10 });
  parts.store.add('stolen', { params: longParams(100) });
  await parts.queue.publish(['stolen']);
  const { loop, logger } = startLoop({ ...parts, config: { leaseMs: 90, cancelPollMs: 1_000 } });
  t.after(() => loop.stop());
  await waitFor('running', () => parts.store.jobs.get('stolen')?.status === 'running');
  // Another worker claimed it after an (imagined) expiry of worker-a's lease.
  const job = parts.store.jobs.get('stolen')!;
  parts.store.jobs.set('stolen', { ...job, leaseOwner: 'worker-z' });
  await waitFor('row aborted', () =>
    logger.messages().includes('store lease lost to another worker; row aborted'),
  );
  await waitFor('engine idle', () => parts.engine.running() === 0, 500);
  assert.equal(parts.store.jobs.get('stolen')?.leaseOwner, 'worker-z');
  assert.deepEqual(parts.store.writes, ['claim:stolen']);
  assert.equal(parts.queue.count('ack', 'stolen'), 0, 'message left for its lease to expire');
});

test('cancel stops a running row at its next step and settles it before its batch-mates', async (t) => {
  const parts = plainParts({ stepMs: 5 });
  parts.store.add('victim', { params: longParams(400) });
  parts.store.add('mate', { params: longParams(120) });
  await parts.queue.publish(['victim', 'mate']);
  const { loop, registry } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('running', () => parts.store.jobs.get('victim')?.status === 'running');
  // Let it generate a few tokens first (the claim comes before the row's first step).
  await waitFor('generating', () => parts.engine.running() === 2);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const canceledAtMs = Date.now();
  parts.store.requestCancel('victim');
  await waitFor('canceled', () => parts.store.jobs.get('victim')?.status === 'canceled');
  // 400 steps of 5 ms would take 2 s; the mate (600 ms) is still generating.
  assert.ok(Date.now() - canceledAtMs < 500, `took ${Date.now() - canceledAtMs} ms`);
  assert.equal(parts.store.jobs.get('mate')?.status, 'running');
  assert.equal(parts.queue.count('ack', 'victim'), 1);
  await waitFor('mate succeeded', () => parts.store.jobs.get('mate')?.status === 'succeeded');
  assert.equal(parts.engine.calls.length, 1, 'one batch for both');
  assert.equal(parts.store.jobs.get('mate')?.result?.completionTokens, 120);
  // Its text so far is kept: the row stopped well short of its 400 tokens.
  const partial = parts.store.jobs.get('victim')?.result;
  assert.equal(partial?.finishReason, 'canceled');
  assert.ok(
    partial.completionTokens > 0 && partial.completionTokens < 400,
    JSON.stringify(partial),
  );
  assert.equal(partial.text, ' word'.repeat(partial.completionTokens));
  assert.deepEqual(
    parts.store.writes.filter((write) => write.endsWith(':victim')),
    ['claim:victim', 'cancel:victim'],
  );
  assert.equal(await metricValue(registry, workerMetricNames.jobs, { outcome: 'canceled' }), 1);
});

test('a job whose cancel was requested before the claim is canceled without generating', async (t) => {
  const parts = plainParts();
  // Its previous worker died mid-generation after the cancel request; the lease ran out.
  parts.store.add('orphan', {
    status: 'running',
    attempts: 1,
    leaseOwner: 'worker-dead',
    leaseExpiresAtMs: Date.now() - 1,
    cancelRequested: true,
  });
  await parts.queue.publish(['orphan']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('canceled', () => parts.store.jobs.get('orphan')?.status === 'canceled');
  assert.equal(parts.engine.calls.length, 0);
  assert.equal(parts.queue.count('ack', 'orphan'), 1);
});

test('an engine that does not stop the row still gets the job canceled, without a result', async (t) => {
  const parts = { ...plainParts(), engine: createFakeEngine({ stepMs: 5, ignoreAbort: true }) };
  parts.store.add('stuck', { params: longParams(200) });
  await parts.queue.publish(['stuck']);
  const { loop } = startLoop({ ...parts, config: { abortSettleMs: 50 } });
  t.after(() => loop.stop());
  await waitFor('running', () => parts.store.jobs.get('stuck')?.status === 'running');
  const canceledAtMs = Date.now();
  parts.store.requestCancel('stuck');
  await waitFor('canceled', () => parts.store.jobs.get('stuck')?.status === 'canceled');
  // 200 steps of 5 ms take 1 s; abortSettleMs (50 ms) bounds the wait for the row.
  assert.ok(Date.now() - canceledAtMs < 700, `took ${Date.now() - canceledAtMs} ms`);
  assert.equal(parts.engine.running(), 1, 'the engine is still generating the row');
  assert.equal(parts.store.jobs.get('stuck')?.result, null);
  assert.equal(parts.queue.count('ack', 'stuck'), 1);
  await waitFor('engine idle', () => parts.engine.running() === 0);
  assert.deepEqual(parts.store.writes, ['claim:stuck', 'cancel:stuck']);
});

test('a message for a job whose dead holder’s lease is about to run out comes back just after it', async (t) => {
  const parts = plainParts({ stepMs: 1 });
  // Worker-z died with its store lease 300 ms from expiry; the queue delivered its message
  // already (the leases are renewed together, so they run out at about the same time).
  parts.store.add('orphaned', {
    status: 'running',
    leaseOwner: 'worker-z',
    leaseExpiresAtMs: Date.now() + 300,
    attempts: 1,
    params: longParams(4),
  });
  await parts.queue.publish(['orphaned']);
  // A 60 s lease: left alone, the message would come back a minute later.
  const { loop } = startLoop({ ...parts, config: { leaseMs: 60_000, cancelPollMs: 1_000 } });
  t.after(() => loop.stop());
  await waitFor('run again', () => parts.store.jobs.get('orphaned')?.status === 'succeeded', 5_000);
  assert.equal(parts.store.jobs.get('orphaned')?.attempts, 2);
  assert.equal(parts.queue.count('pull', 'orphaned'), 2, 'left once, then claimed');
  assert.ok(parts.queue.count('extend', 'orphaned') >= 1, 'the first delivery was shortened');
});
