import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { capacityClient } from './e2e/capacity-client.ts';
import { type BatchView, requestJson } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import { repoRoot } from './e2e/service-process.ts';

const key = 'e2e-key-capacity-0123456789abcdef';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /v1/capacity on npm start (the in-process worker heartbeat)', () => {
  const services = useServices();

  it('needs a key; shows the warm worker with its model sha256, then busy rows, tokens/s, the backlog and an estimate; the same numbers in /metrics', async () => {
    const service = await services.start({
      env: { API_KEYS: key, MAX_BATCH: '4', HEARTBEAT_SECONDS: '1' },
    });
    const base = service.baseUrl;
    const { until, metrics, headers: auth } = capacityClient(base, key);
    assert.equal((await requestJson(base, 'GET', '/v1/capacity')).status, 401);

    // The built-in model's graph: the sha256 the worker reports is its verified stamp's.
    const modelDir = await ensureModel('tiny', { cacheDir: join(repoRoot, '.cache', 'models') });
    const graph = await readFile(join(modelDir, 'onnx', 'model.onnx'));
    const sha256 = createHash('sha256').update(graph).digest('hex');

    const idle = await until((view) => view.workers.by_state.idle === 1);
    assert.equal(idle.object, 'capacity');
    assert.equal(idle.workers.total, 1);
    const [worker] = idle.workers.items;
    assert.equal(worker?.state, 'idle');
    assert.equal(worker?.model_sha256, sha256);
    assert.equal(worker?.device, 'cpu');
    assert.equal(worker?.max_rows, 4);
    assert.equal(worker?.task, null);
    assert.ok(Date.parse(worker?.since ?? '') >= Date.parse(worker?.started_at ?? ''));
    assert.deepEqual(idle.queue, { queued: 0, running: 0, oldest_queued_age_seconds: null });
    assert.equal(idle.scaling.mode, 'off');
    assert.equal(idle.scaling.problem, null);
    assert.equal(idle.estimate.starts_in_seconds, 0, idle.estimate.basis);

    // Long rows on four slots: the worker is busy while the rest wait. A wave of 4 x 200
    // tokens takes ~0.5 s on the tiny model on a quiet machine, so 12 waves keep a backlog
    // for several 1 s heartbeats after the first jobs finish (with 3 it was gone before a
    // beat carried their rate).
    const rows = 48;
    const items = Array.from({ length: rows }, (_, i) => ({
      custom_id: String(i),
      prompt: `Row ${i}`,
      params: { max_new_tokens: 200, seed: i },
    }));
    const submitted = await requestJson<BatchView>(base, 'POST', '/v1/batches', { items }, auth);
    assert.equal(submitted.status, 202);
    const busy = await until((view) => view.workers.by_state.busy === 1 && view.queue.queued > 0);
    assert.equal(busy.workers.items[0]?.running_rows, 4);
    assert.ok((busy.queue.oldest_queued_age_seconds ?? -1) >= 0, JSON.stringify(busy.queue));
    const busyMetrics = await metrics();
    assert.equal(sample(busyMetrics, 'warmgen_workers{state="busy"}'), 1);
    assert.ok((sample(busyMetrics, 'warmgen_num_requests_waiting') ?? 0) > 0);
    assert.ok((sample(busyMetrics, 'warmgen_num_requests_running') ?? 0) > 0);

    // Once some have finished there is a rate, and so an estimate for a job queued behind.
    const rated = await until(
      (view) => view.queue.queued > 0 && view.workers.items[0]!.jobs_per_second > 0,
      120_000,
    );
    assert.ok(rated.workers.tokens_per_second > 0);
    assert.ok((rated.estimate.starts_in_seconds ?? -1) > 0, JSON.stringify(rated.estimate));
    assert.ok(
      (rated.estimate.finishes_in_seconds ?? -1) > (rated.estimate.starts_in_seconds ?? 0),
      JSON.stringify(rated.estimate),
    );

    // Every job done, and the next beat counts all their tokens (as the results say).
    const finished = await until(
      (view) => view.queue.queued === 0 && view.queue.running === 0,
      240_000,
    );
    assert.equal(finished.queue.oldest_queued_age_seconds, null);
    const results = await fetch(`${base}/v1/batches/${submitted.body.id}/results`, {
      headers: auth,
    }).then((response) => response.text());
    const tokens = results
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { result: { usage: { completion_tokens: number } } })
      .reduce((sum, line) => sum + line.result.usage.completion_tokens, 0);
    assert.ok(tokens > rows, `${tokens} tokens`);
    const done = await until(
      (view) => view.workers.by_state.idle === 1 && view.workers.items[0]!.tokens_total >= tokens,
    );
    assert.equal(done.workers.items[0]?.tokens_total, tokens);
    const doneMetrics = await metrics();
    assert.equal(sample(doneMetrics, 'warmgen_generation_tokens_total'), tokens);
    assert.equal(sample(doneMetrics, 'warmgen_num_requests_waiting'), 0);
    assert.equal(sample(doneMetrics, 'warmgen_batch_current_size'), 0);
    assert.equal(sample(doneMetrics, 'warmgen_scaling_failing'), 0);

    // A clean stop deletes the record at once (a killed worker's would expire instead).
    assert.deepEqual(await service.stop(), { code: 0, signal: null });
  });
});
