import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusCounts } from '@warmgen/shared/domain/job.ts';
import { jobStatuses } from '@warmgen/shared/domain/job-status.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import type { FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { createApiMetrics } from './api-metrics.ts';

/** Metrics over a queue whose depth() answers what `depth` says at each scrape. */
function metricsWith(depth: () => Promise<number>) {
  const registry = new Registry();
  const warnings: string[] = [];
  const counts = Object.fromEntries(jobStatuses.map((status) => [status, 0])) as StatusCounts;
  const store = { countJobs: async () => counts } as unknown as JobStore;
  const queue = { depth } as unknown as JobQueue;
  const log = {
    warn: (_fields: unknown, message: string) => warnings.push(message),
  } as unknown as FastifyBaseLogger;
  createApiMetrics(registry, store, queue, log);
  return { scrape: () => registry.metrics(), warnings };
}

/** The sample lines of warmgen_queue_depth (HELP and TYPE lines left out). */
function depthSamples(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('warmgen_queue_depth'));
}

describe('the queue-depth gauge', () => {
  it('exports the depth the queue reports', async () => {
    const { scrape } = metricsWith(async () => 7);
    assert.deepEqual(depthSamples(await scrape()), ['warmgen_queue_depth 7']);
  });

  it('has no sample (not NaN, not 0) when the queue cannot count its backlog', async () => {
    let depth = 5;
    const { scrape, warnings } = metricsWith(async () => depth);
    assert.deepEqual(depthSamples(await scrape()), ['warmgen_queue_depth 5']);
    depth = Number.NaN;
    const text = await scrape();
    assert.deepEqual(depthSamples(text), [], 'the earlier value is not left behind either');
    assert.match(text, /# TYPE warmgen_queue_depth gauge/);
    assert.doesNotMatch(text, /NaN/);
    assert.deepEqual(warnings, [], 'an uncountable queue is expected, not a failure');
    depth = 2;
    assert.deepEqual(depthSamples(await scrape()), ['warmgen_queue_depth 2']);
  });

  it('has no sample, and logs, when reading the depth fails', async () => {
    let fail = false;
    const { scrape, warnings } = metricsWith(async () => {
      if (fail) {
        throw new Error('monitoring unreachable');
      }
      return 3;
    });
    assert.deepEqual(depthSamples(await scrape()), ['warmgen_queue_depth 3']);
    fail = true;
    const text = await scrape();
    assert.deepEqual(depthSamples(text), []);
    assert.match(text, /warmgen_jobs\{status="queued"\} 0/, 'the rest of the scrape still works');
    assert.deepEqual(warnings, ['metrics: reading queue depth failed']);
  });
});
