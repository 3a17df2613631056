import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RunLoopMetrics } from '../run-loop/run-loop-ports.ts';

/**
 * The worker's Prometheus series, registered on an injected Registry so a process that
 * runs the API and a worker together serves both on the API's /metrics. Names carry the
 * `warmgen_worker_` prefix and their unit; registering twice on one Registry throws.
 */
export const workerMetricNames = {
  jobs: 'warmgen_worker_jobs_total',
  messagesDropped: 'warmgen_worker_messages_dropped_total',
  batchSize: 'warmgen_worker_batch_size',
  generateSeconds: 'warmgen_worker_generate_seconds',
  queueWaitSeconds: 'warmgen_worker_queue_wait_seconds',
  tokensGenerated: 'warmgen_worker_tokens_generated_total',
  tokensPerSecond: 'warmgen_worker_tokens_per_second',
  inFlightJobs: 'warmgen_worker_in_flight_jobs',
} as const;

export function createWorkerMetrics(registry: Registry): RunLoopMetrics {
  const registers = [registry];
  const jobs = new Counter({
    name: workerMetricNames.jobs,
    help: 'Jobs that left this worker, by outcome (released = handed back for a retry).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const messagesDropped = new Counter({
    name: workerMetricNames.messagesDropped,
    help: 'Queue messages acked without work: redeliveries of finished or missing jobs.',
    labelNames: ['reason'] as const,
    registers,
  });
  const batchSize = new Histogram({
    name: workerMetricNames.batchSize,
    help: 'Rows running in the batch when a job finished generating (continuous batching).',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers,
  });
  const generateSeconds = new Histogram({
    name: workerMetricNames.generateSeconds,
    help: 'Wall time of one job in the engine, from admission to its last token.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  const queueWaitSeconds = new Histogram({
    name: workerMetricNames.queueWaitSeconds,
    help: 'From job acceptance to its claim by a worker.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers,
  });
  const tokensGenerated = new Counter({
    name: workerMetricNames.tokensGenerated,
    help: 'New tokens generated for succeeded jobs.',
    registers,
  });
  const tokensPerSecond = new Histogram({
    name: workerMetricNames.tokensPerSecond,
    help: 'Decode speed of each succeeded job (its own completion tokens per second).',
    buckets: [1, 5, 10, 25, 50, 100, 200, 400, 800, 1600],
    registers,
  });
  const inFlightJobs = new Gauge({
    name: workerMetricNames.inFlightJobs,
    help: 'Jobs claimed and running in the engine now.',
    registers,
  });

  return {
    jobSettled(outcome) {
      jobs.inc({ outcome });
    },
    messageDropped(reason) {
      messagesDropped.inc({ reason });
    },
    jobClaimed(queueMs) {
      queueWaitSeconds.observe(queueMs / 1000);
    },
    rowGenerated(generateMs, runningRows) {
      batchSize.observe(runningRows);
      generateSeconds.observe(generateMs / 1000);
    },
    jobCompleted(completionTokens, perSecond) {
      tokensGenerated.inc(completionTokens);
      if (Number.isFinite(perSecond)) {
        tokensPerSecond.observe(perSecond);
      }
    },
    inFlight(rows) {
      inFlightJobs.set(rows);
    },
  };
}
