import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { createRunLoop, RunLoopState } from './run-loop.ts';
import { createFakeEngine } from './test-support/fake-generation-engine.ts';
import { createRecordingLogger } from './test-support/recording-logger.ts';
import { plainParts, startLoop, testConfig, waitFor } from './test-support/run-loop-harness.ts';

const params = (tokens: number) => resolveGenerationParams({ max_new_tokens: tokens });

test('stop() lets the batch in flight finish within the grace period, then pulls no more', async (t) => {
  const parts = plainParts({ stepMs: 5 });
  parts.store.add('inflight', { params: params(40) });
  await parts.queue.publish(['inflight']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('running', () => parts.store.jobs.get('inflight')?.status === 'running');
  const stopping = loop.stop();
  assert.equal(loop.state, RunLoopState.stopping);
  parts.store.add('late');
  await parts.queue.publish(['late']);
  await stopping;
  await loop.done;
  assert.equal(loop.state, RunLoopState.stopped);
  assert.equal(parts.store.jobs.get('inflight')?.status, 'succeeded');
  assert.equal(parts.queue.count('ack', 'inflight'), 1);
  // The pull waiting when stop() came may hand 'late' over: it goes straight back.
  assert.equal(parts.store.jobs.get('late')?.status, 'queued');
  assert.equal(parts.queue.count('pull', 'late'), parts.queue.count('nack', 'late'));
  assert.ok(parts.queue.count('pull', 'late') <= 1);
});

test('stop() after the grace period aborts the rows and releases their jobs', async (t) => {
  const parts = plainParts({ stepMs: 5 });
  parts.store.add('slow', { params: params(1_000) });
  await parts.queue.publish(['slow']);
  const { loop } = startLoop({ ...parts, config: { shutdownGraceMs: 100 } });
  t.after(() => loop.stop());
  await waitFor('running', () => parts.store.jobs.get('slow')?.status === 'running');
  const startedAtMs = Date.now();
  await loop.stop();
  const tookMs = Date.now() - startedAtMs;
  assert.ok(tookMs >= 90 && tookMs < 2_000, `stop took ${tookMs} ms`);
  const job = parts.store.jobs.get('slow')!;
  assert.equal(job.status, 'queued');
  assert.equal(job.leaseOwner, null);
  assert.deepEqual(parts.store.writes, ['claim:slow', 'release:slow']);
  assert.equal(parts.queue.count('nack', 'slow'), 1);
  assert.equal(parts.engine.running(), 0, 'the row really stopped');
});

test('stop() releases the jobs even when the engine ignores the abort', async (t) => {
  const parts = { ...plainParts(), engine: createFakeEngine({ stepMs: 5, ignoreAbort: true }) };
  parts.store.add('stuck', { params: params(60) });
  await parts.queue.publish(['stuck']);
  const { loop } = startLoop({ ...parts, config: { shutdownGraceMs: 40, abortSettleMs: 40 } });
  t.after(async () => {
    await loop.stop();
    await waitFor('engine done', () => parts.engine.running() === 0);
  });
  await waitFor('running', () => parts.store.jobs.get('stuck')?.status === 'running');
  await loop.stop();
  assert.equal(parts.store.jobs.get('stuck')?.status, 'queued');
  assert.equal(parts.queue.count('nack', 'stuck'), 1);
  // The late result from the engine is refused: the job is no longer ours.
  await waitFor('engine done', () => parts.engine.running() === 0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(parts.store.writes, ['claim:stuck', 'release:stuck']);
});

test('drain mode: done resolves once the queue has been idle for idleExitMs', async (t) => {
  const parts = plainParts();
  parts.store.add('only');
  await parts.queue.publish(['only']);
  const { loop } = startLoop({ ...parts, config: { idleExitMs: 300 } });
  t.after(() => loop.stop());
  await loop.done;
  // Measured from the job's own completion time, not from when a poll noticed it (late on
  // a loaded machine).
  const finishedAtMs = parts.store.jobs.get('only')?.finishedAtMs ?? Number.NaN;
  const idleMs = Date.now() - finishedAtMs;
  assert.equal(parts.store.jobs.get('only')?.status, 'succeeded');
  // The loop's idle time starts when the row left the engine, a little before the store
  // stamped finishedAtMs (148 ms of 150 seen in CI): 50 ms of slack.
  assert.ok(idleMs >= 250, `exited after ${idleMs} ms idle`);
  assert.equal(loop.state, RunLoopState.stopped);
  await loop.stop();
});

test('drain mode does not exit while messages keep arriving', async (t) => {
  const parts = plainParts();
  // Gaps far below the idle time, so a timer that fires late on a loaded machine does not
  // open an idle gap the test did not mean.
  const { loop } = startLoop({ ...parts, config: { idleExitMs: 1_500 } });
  t.after(() => loop.stop());
  let exited = false;
  void loop.done.then(() => {
    exited = true;
  });
  const startedAtMs = Date.now();
  for (let index = 0; index < 5; index += 1) {
    parts.store.add(`steady-${index}`);
    await parts.queue.publish([`steady-${index}`]);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  // 2 s of arrivals outlast one 1.5 s idle period: without the reset the loop exits.
  assert.ok(Date.now() - startedAtMs >= 1_900);
  assert.equal(exited, false, 'a message every 400 ms keeps a 1.5 s idle exit away');
  await loop.done;
  assert.equal(parts.store.jobs.get('steady-4')?.status, 'succeeded');
});

test('stop() before start() resolves; a loop starts only once', async () => {
  const parts = plainParts();
  const unstarted = createRunLoop({
    ...parts,
    logger: createRecordingLogger(),
    config: testConfig,
    workerId: 'worker-a',
  });
  await unstarted.stop();
  await unstarted.done;
  assert.equal(unstarted.state, RunLoopState.stopped);
  assert.throws(() => unstarted.start(), /cannot start: it is stopped/);

  const { loop } = startLoop(parts);
  assert.throws(() => loop.start(), /cannot start: it is running/);
  await Promise.all([loop.stop(), loop.stop()]);
  assert.equal(loop.state, RunLoopState.stopped);
});
