import { jobStatuses } from '@warmgen/shared/domain/job-status.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { registerCapacityMetrics } from './capacity/capacity-metrics.ts';
import type { CapacitySources } from './capacity/read-capacity.ts';

/**
 * The API's Prometheus metrics, registered on the registry the caller owns (one registry
 * per API instance: registering twice on one registry throws). Jobs by status and queue
 * depth are read from the store and the queue when scraped, so they are never stale.
 */
export interface ApiMetrics {
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  countSubmitted(source: 'generation' | 'batch', jobs: number): void;
}

export function createApiMetrics(
  registry: Registry,
  store: JobStore,
  queue: JobQueue,
  log: FastifyBaseLogger,
  capacity: CapacitySources | null = null,
): ApiMetrics {
  const registers = [registry];
  if (capacity !== null) {
    registerCapacityMetrics(registry, capacity, store, log);
  }
  const requests = new Counter({
    name: 'warmgen_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'warmgen_http_request_duration_seconds',
    help: 'Time from request to response, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const submitted = new Counter({
    name: 'warmgen_jobs_submitted_total',
    help: 'Jobs accepted by the API (idempotent replays are not counted again).',
    labelNames: ['source'] as const,
    registers,
  });
  new Gauge({
    name: 'warmgen_jobs',
    help: 'Jobs in the store by status, read at scrape time.',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      try {
        const counts = await store.countJobs();
        for (const status of jobStatuses) {
          this.set({ status }, counts[status]);
        }
      } catch (error) {
        // A failed read must not fail the whole scrape; an absent series beats a stale one.
        this.reset();
        log.warn({ err: error }, 'metrics: counting jobs failed');
      }
    },
  });
  new Gauge({
    name: 'warmgen_queue_depth',
    help: 'Messages waiting in the job queue (not leased, not dead), read at scrape time; absent when the queue cannot count them.',
    registers,
    async collect() {
      // reset() on a gauge without labels exports 0, which reads as an empty queue;
      // removing the unlabelled series leaves the metric without a sample instead.
      try {
        const depth = await queue.depth();
        if (Number.isFinite(depth)) {
          this.set(depth);
        } else {
          // NaN: the queue cannot count its backlog (Pub/Sub without a monitoring reader).
          this.remove({});
        }
      } catch (error) {
        this.remove({});
        log.warn({ err: error }, 'metrics: reading queue depth failed');
      }
    },
  });

  return {
    observeRequest(method, route, statusCode, seconds) {
      const labels = { method, route, status_code: String(statusCode) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    countSubmitted(source, jobs) {
      submitted.inc({ source }, jobs);
    },
  };
}
