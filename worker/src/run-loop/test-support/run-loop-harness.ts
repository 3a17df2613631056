import { Registry } from 'prom-client';
import { createWorkerMetrics } from '../../metrics/worker-metrics.ts';
import { createRunLoop, type RunLoop } from '../run-loop.ts';
import type { RunLoopConfig } from '../run-loop-config.ts';
import type {
  RunLoopEngine,
  RunLoopQueue,
  RunLoopStore,
  RunLoopStream,
} from '../run-loop-ports.ts';
import { createFakeEngine } from './fake-generation-engine.ts';
import { createInMemoryJobQueue } from './in-memory-job-queue.ts';
import { createInMemoryJobStore } from './in-memory-job-store.ts';
import { createRecordingLogger, type RecordingLogger } from './recording-logger.ts';

/** Short timings so a test runs in tens of milliseconds; the ratios are the real ones. */
export const testConfig: RunLoopConfig = {
  maxBatch: 8,
  batchWindowMs: 20,
  leaseMs: 2_000,
  maxAttempts: 3,
  shutdownGraceMs: 2_000,
  pullWaitMs: 20,
  cancelPollMs: 10,
  deadLetterIntervalMs: 20,
  errorBackoffMs: 10,
  abortSettleMs: 200,
};

export interface HarnessParts<
  Q extends RunLoopQueue,
  S extends RunLoopStore,
  E extends RunLoopEngine,
> {
  queue: Q;
  store: S;
  engine: E;
  config?: Partial<RunLoopConfig>;
  workerId?: string;
  registry?: Registry;
  stream?: RunLoopStream;
}

export interface Harness {
  loop: RunLoop;
  logger: RecordingLogger;
  registry: Registry;
}

/** A started loop on the given parts, with real metrics on its own Registry. */
export function startLoop<Q extends RunLoopQueue, S extends RunLoopStore, E extends RunLoopEngine>(
  parts: HarnessParts<Q, S, E>,
): Harness {
  const logger = createRecordingLogger();
  const registry = parts.registry ?? new Registry();
  const loop = createRunLoop({
    queue: parts.queue,
    store: parts.store,
    engine: parts.engine,
    logger,
    metrics: createWorkerMetrics(registry),
    config: { ...testConfig, ...parts.config },
    workerId: parts.workerId ?? 'worker-a',
    stream: parts.stream,
  });
  loop.start();
  return { loop, logger, registry };
}

/** Fresh plain-object parts: in-memory queue and store, fake engine. */
export function plainParts(options: { maxAttempts?: number; stepMs?: number } = {}) {
  return {
    queue: createInMemoryJobQueue(options.maxAttempts ?? testConfig.maxAttempts),
    store: createInMemoryJobStore(),
    engine: createFakeEngine({ stepMs: options.stepMs ?? 1 }),
  };
}

/** Polls until check() is true; fails after timeoutMs with what it was waiting for. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The value of one series from the registry (0 when absent). For a histogram, name the
 * series: `${name}_count` or `${name}_sum`.
 */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
  series = name,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) {
    return 0;
  }
  const { values } = await metric.get();
  const match = values.find(
    (value) =>
      ((value as { metricName?: string }).metricName ?? name) === series &&
      Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
  );
  return match?.value ?? 0;
}
