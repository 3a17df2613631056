import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { workerMetricNames } from '../metrics/worker-metrics.ts';
import { metricValue, plainParts, startLoop, waitFor } from './test-support/run-loop-harness.ts';

test('micro-batching: messages published together join the running batch at one step', async (t) => {
  const parts = plainParts();
  const ids = ['j1', 'j2', 'j3', 'j4'];
  for (const id of ids) {
    parts.store.add(id);
  }
  const { loop, registry } = startLoop({ ...parts, config: { batchWindowMs: 250 } });
  t.after(() => loop.stop());
  // Published one by one with gaps shorter than the window: still one batch.
  for (const id of ids) {
    await parts.queue.publish([id]);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitFor('all succeeded', () =>
    ids.every((id) => parts.store.jobs.get(id)?.status === 'succeeded'),
  );
  assert.equal(parts.engine.calls.length, 1);
  assert.deepEqual(
    parts.engine.calls[0]?.slice().sort(),
    ids.map((id) => `prompt of ${id}`),
  );
  for (const id of ids) {
    const job = parts.store.jobs.get(id)!;
    assert.equal(job.result?.completionTokens, 4);
    assert.equal(job.result?.finishReason, 'length');
    assert.ok(job.result!.timings.queueMs >= 0);
    assert.ok(job.result!.timings.generateMs > 0);
    assert.equal(parts.queue.count('ack', id), 1);
  }
  assert.equal(await metricValue(registry, workerMetricNames.jobs, { outcome: 'succeeded' }), 4);
  assert.equal(
    await metricValue(
      registry,
      workerMetricNames.batchSize,
      {},
      `${workerMetricNames.batchSize}_sum`,
    ),
    // Each of the 4 jobs finished with 4 rows running.
    16,
  );
  assert.equal(await metricValue(registry, workerMetricNames.tokensGenerated), 16);
});

test('the running batch never exceeds the engine capacity; freed slots are refilled', async (t) => {
  const parts = plainParts();
  const ids = Array.from({ length: 11 }, (_, index) => `cap-${index}`);
  for (const id of ids) {
    parts.store.add(id);
  }
  await parts.queue.publish(ids);
  const { loop } = startLoop({ ...parts, config: { maxBatch: 32 } });
  t.after(() => loop.stop());
  await waitFor('all succeeded', () =>
    ids.every((id) => parts.store.jobs.get(id)?.status === 'succeeded'),
  );
  assert.equal(parts.engine.peakRunning(), 8);
  assert.equal(parts.engine.calls[0]?.length, 8);
  assert.equal(parts.engine.calls.flat().length, 11);
});

test('a redelivered message for a finished job is acked and dropped without generating', async (t) => {
  const parts = plainParts();
  parts.store.add('done', { status: 'succeeded', finishedAtMs: Date.now() });
  parts.store.add('gone', { status: 'canceled', finishedAtMs: Date.now() });
  await parts.queue.publish(['done', 'gone', 'missing']);
  const { loop, registry } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('all three acked', () => parts.queue.messages.size === 0);
  assert.equal(parts.engine.calls.length, 0);
  assert.deepEqual(parts.store.writes, []);
  assert.equal(parts.store.jobs.get('done')?.status, 'succeeded');
  assert.equal(
    await metricValue(registry, workerMetricNames.messagesDropped, { reason: 'terminal' }),
    2,
  );
  assert.equal(
    await metricValue(registry, workerMetricNames.messagesDropped, { reason: 'missing' }),
    1,
  );
});

test('two loops on one store never complete a job twice, even with every message duplicated', async (t) => {
  const parts = plainParts({ stepMs: 2 });
  const ids = Array.from({ length: 12 }, (_, index) => `dup-${index}`);
  for (const id of ids) {
    parts.store.add(id);
  }
  // Each job published twice: at-least-once delivery at its worst.
  await parts.queue.publish(ids);
  await parts.queue.publish(ids);
  const a = startLoop({ ...parts, workerId: 'worker-a', config: { maxBatch: 3 } });
  const b = startLoop({ ...parts, workerId: 'worker-b', config: { maxBatch: 3 } });
  t.after(() => Promise.all([a.loop.stop(), b.loop.stop()]));
  await waitFor('all succeeded', () =>
    ids.every((id) => parts.store.jobs.get(id)?.status === 'succeeded'),
  );
  await waitFor('every message settled', () => parts.queue.messages.size === 0);
  for (const id of ids) {
    assert.equal(parts.store.writes.filter((write) => write === `complete:${id}`).length, 1, id);
  }
  // Each success counted once across the two workers.
  const generatedBy = (h: typeof a) =>
    metricValue(h.registry, workerMetricNames.jobs, { outcome: 'succeeded' });
  const [byA, byB] = await Promise.all([generatedBy(a), generatedBy(b)]);
  assert.equal(byA + byB, ids.length);
});

test('an invalid request is failed without generating and never retried', async (t) => {
  const parts = plainParts();
  parts.store.add('too-long', { prompt: 'word '.repeat(1030) });
  parts.store.add('fine');
  await parts.queue.publish(['too-long', 'fine']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('both settled', () => parts.queue.messages.size === 0);
  const job = parts.store.jobs.get('too-long')!;
  assert.equal(job.status, 'failed');
  assert.equal(job.error?.code, 'invalid_request');
  assert.match(job.error?.message ?? '', /positions/);
  assert.equal(parts.store.jobs.get('fine')?.status, 'succeeded');
  assert.deepEqual(parts.engine.calls, [['prompt of fine']]);
  assert.equal(parts.queue.count('nack'), 0);
});

test('a job claimed more than maxAttempts times is failed without generating', async (t) => {
  const parts = plainParts();
  // A job released by crashed workers three times already: this claim is its fourth.
  parts.store.add('tired', { attempts: 3 });
  await parts.queue.publish(['tired']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('settled', () => parts.queue.messages.size === 0);
  assert.equal(parts.store.jobs.get('tired')?.error?.code, 'max_attempts_exceeded');
  assert.equal(parts.engine.calls.length, 0);
});

test('a short job is completed and acked while a long one in its batch still runs', async (t) => {
  const parts = plainParts({ stepMs: 5 });
  parts.store.add('long', { params: resolveGenerationParams({ max_new_tokens: 200 }) });
  parts.store.add('short', { params: resolveGenerationParams({ max_new_tokens: 3 }) });
  await parts.queue.publish(['long', 'short']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('short succeeded', () => parts.store.jobs.get('short')?.status === 'succeeded');
  assert.equal(parts.store.jobs.get('long')?.status, 'running');
  assert.equal(parts.engine.running(), 1);
  assert.equal(parts.engine.calls.length, 1, 'one batch for both');
  await waitFor('short acked', () => parts.queue.count('ack', 'short') === 1);
  const short = parts.store.jobs.get('short')!.result!;
  assert.equal(short.completionTokens, 3);
  await waitFor('long succeeded', () => parts.store.jobs.get('long')?.status === 'succeeded');
  const long = parts.store.jobs.get('long')!.result!;
  // Each row reports its own time, not the batch's.
  assert.ok(short.timings.generateMs < long.timings.generateMs / 4, JSON.stringify([short, long]));
  assert.deepEqual(
    parts.store.writes.filter((write) => write.startsWith('complete:')),
    ['complete:short', 'complete:long'],
  );
  assert.equal(parts.queue.count('ack', 'long'), 1);
  assert.equal(parts.queue.count('ack', 'short'), 1, 'settled once');
});

test('a job published while another decodes joins the running batch and finishes first', async (t) => {
  const parts = plainParts({ stepMs: 5 });
  parts.store.add('long', { params: resolveGenerationParams({ max_new_tokens: 120 }) });
  await parts.queue.publish(['long']);
  const { loop } = startLoop(parts);
  t.after(() => loop.stop());
  await waitFor('long decoding', () => parts.engine.running() === 1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  parts.store.add('short', { params: resolveGenerationParams({ max_new_tokens: 3 }) });
  await parts.queue.publish(['short']);
  await waitFor('short succeeded', () => parts.store.jobs.get('short')?.status === 'succeeded');
  // The long job is still mid-decode: the short one did not wait for it.
  assert.equal(parts.store.jobs.get('long')?.status, 'running');
  assert.deepEqual(parts.engine.calls, [['prompt of long'], ['prompt of short']]);
  assert.equal(parts.engine.peakRunning(), 2);
  await waitFor('long succeeded', () => parts.store.jobs.get('long')?.status === 'succeeded');
  assert.equal(parts.store.jobs.get('long')?.result?.completionTokens, 120);
  assert.equal(parts.queue.count('ack', 'short'), 1);
  assert.equal(parts.queue.count('ack', 'long'), 1);
});

test('batchPolicy static: a job waits until the whole running batch has ended', async (t) => {
  const parts = plainParts({ stepMs: 5 });
  parts.store.add('long', { params: resolveGenerationParams({ max_new_tokens: 60 }) });
  await parts.queue.publish(['long']);
  const { loop } = startLoop({ ...parts, config: { batchPolicy: 'static' } });
  t.after(() => loop.stop());
  await waitFor('long decoding', () => parts.engine.running() === 1);
  parts.store.add('short', { params: resolveGenerationParams({ max_new_tokens: 3 }) });
  await parts.queue.publish(['short']);
  await waitFor('short succeeded', () => parts.store.jobs.get('short')?.status === 'succeeded');
  assert.deepEqual(
    parts.store.writes.filter((write) => write.startsWith('complete:')),
    ['complete:long', 'complete:short'],
  );
  assert.equal(parts.engine.peakRunning(), 1);
});
