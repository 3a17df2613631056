import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { createWorkerMetrics, workerMetricNames } from './worker-metrics.ts';

test('worker series appear on the injected registry next to the API series', async () => {
  const registry = new Registry();
  // What a combined process looks like: the API registered its own series first.
  new Counter({ name: 'warmgen_api_requests_total', help: 'api', registers: [registry] });
  const metrics = createWorkerMetrics(registry);
  metrics.jobClaimed(1_500);
  metrics.rowGenerated(2_000, 4);
  metrics.jobCompleted(64, 32);
  metrics.jobSettled('succeeded');
  metrics.jobSettled('released');
  metrics.messageDropped('terminal');
  metrics.inFlight(3);
  // tokens/s of a job with no decode time is not a number: it must not poison the histogram.
  metrics.jobCompleted(0, Number.NaN);

  const text = await registry.metrics();
  assert.match(text, /^warmgen_api_requests_total 0$/m);
  assert.match(text, /^warmgen_worker_jobs_total\{outcome="succeeded"\} 1$/m);
  assert.match(text, /^warmgen_worker_jobs_total\{outcome="released"\} 1$/m);
  assert.match(text, /^warmgen_worker_messages_dropped_total\{reason="terminal"\} 1$/m);
  assert.match(text, /^warmgen_worker_batch_size_sum 4$/m);
  assert.match(text, /^warmgen_worker_batch_size_bucket\{le="2"\} 0$/m);
  assert.match(text, /^warmgen_worker_batch_size_bucket\{le="4"\} 1$/m);
  assert.match(text, /^warmgen_worker_generate_seconds_sum 2$/m);
  assert.match(text, /^warmgen_worker_queue_wait_seconds_sum 1.5$/m);
  assert.match(text, /^warmgen_worker_tokens_generated_total 64$/m);
  assert.match(text, /^warmgen_worker_tokens_per_second_count 1$/m);
  assert.match(text, /^warmgen_worker_in_flight_jobs 3$/m);
  for (const name of Object.values(workerMetricNames)) {
    assert.ok(registry.getSingleMetric(name), name);
  }
});

test('two workers on one registry is a wiring mistake and throws', () => {
  const registry = new Registry();
  createWorkerMetrics(registry);
  assert.throws(() => createWorkerMetrics(registry), /already been registered/);
});
