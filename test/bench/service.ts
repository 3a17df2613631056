import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { loadEngine } from '@warmgen/worker/engine/load-engine.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { submitBatch, waitForBatch } from '../src/e2e/service-client.ts';
import { repoRoot, type ServiceProcess, startService } from '../src/e2e/service-process.ts';
import { engineTrial } from './engine-reference.ts';
import { startHealthProbe } from './health-probe.ts';
import { round, roundSummary, summarize } from './latency-stats.ts';
import { serverLatenciesMs } from './server-side-latency.ts';
import { batchSizeTotals, meanBatchSize } from './service-metrics.ts';
import { printReport, type ServiceBenchReport, type ThroughputRound } from './service-report.ts';
import { runSubmitLoad } from './submit-load.ts';
import { runThroughput } from './throughput-run.ts';

/**
 * `npm run bench:service` (throughput) and `npm run bench:submit` (submit-only): the real
 * `npm start` process, and the API process, over HTTP. Run directly, both phases run. The
 * two npm scripts differ in this process's malloc settings: the throughput phase's
 * engine-alone reference runs under the service's GLIBC_TUNABLES, while the submit-only
 * load generator runs on glibc's defaults (under the tunables its own p99 rose to 21-38 ms
 * where the server logged 7-8 ms).
 *
 * 1. Throughput on the GPT-2-small-shaped model: `jobs` greedy jobs of `tokens` new tokens
 *    at `concurrency`, MAX_BATCH=`max-batch`; jobs/s, new tokens/s (counted from the
 *    results), end-to-end latency and the service's overhead over the engine's own time.
 *    The engine alone runs the same jobs in batches of `max-batch` in this process before
 *    and after every service round, and each round's ratio is to the mean of the two, so
 *    the ratio compares figures taken seconds apart, not days. The npm script starts this
 *    process with the same GLIBC_TUNABLES as npm start (worker/src/engine/malloc-tunables.ts),
 *    so the engine alone is not slowed by glibc's defaults where the service is not.
 * 2. Submit-only: POST /v1/generations at `rate`/s for `seconds` s, open loop, against the
 *    API process alone (api/src/main.ts on SQLite), as it is deployed apart from workers.
 *
 *   node test/bench/service.ts [--jobs 64] [--tokens 64] [--concurrency 64] [--max-batch 32]
 *     [--rounds 3] [--batch-window-ms N] [--rate 200] [--seconds 10] [--skip-throughput]
 *     [--skip-submit]
 */

const engineResultsFile = join(repoRoot, 'bench-results', 'engine.json');

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '64' },
    tokens: { type: 'string', default: '64' },
    concurrency: { type: 'string', default: '64' },
    'max-batch': { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    'batch-window-ms': { type: 'string' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    'skip-throughput': { type: 'boolean', default: false },
    'skip-submit': { type: 'boolean', default: false },
  },
});
// One file per phase run alone, so `bench:service` and `bench:submit` keep each other's.
const resultsFile = join(
  repoRoot,
  'bench-results',
  values['skip-submit']
    ? 'service-throughput.json'
    : values['skip-throughput']
      ? 'service-submit.json'
      : 'service.json',
);
const options = {
  jobs: Number(values.jobs),
  tokens: Number(values.tokens),
  concurrency: Number(values.concurrency),
  maxBatch: Number(values['max-batch']),
  rounds: Number(values.rounds),
  rate: Number(values.rate),
  seconds: Number(values.seconds),
  /** Unset: the service's default BATCH_WINDOW_MS. */
  batchWindowMs: values['batch-window-ms'] === undefined ? null : Number(values['batch-window-ms']),
};

const report: ServiceBenchReport = {
  measuredAt: new Date().toISOString(),
  cores: availableParallelism(),
  loadAverageAtStart: loadavg().map((value) => round(value, 2)),
  options,
  throughput: null,
  submitOnly: null,
  engineJson: await readEngineJson(),
};

if (!values['skip-throughput']) {
  report.throughput = await throughputPhase();
}
if (!values['skip-submit']) {
  report.submitOnly = await submitPhase();
}
printReport(report);
await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
await writeFile(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nwrote ${resultsFile}\n`);

async function throughputPhase(): Promise<NonNullable<ServiceBenchReport['throughput']>> {
  log('building or finding the GPT-2-small-shaped model ...');
  const modelDir = await ensureModel('small');
  log('loading the engine in this process for the same-run reference ...');
  const engine = await loadEngine({ modelDir, device: 'cpu', maxBatchSize: options.maxBatch });
  // A full batch of full-length rows on each side before anything is measured, so neither
  // pays for first-time allocations (the KV cache's largest shapes) in a measured round.
  await engine.generate(
    Array.from({ length: options.maxBatch }, (_, i) => ({
      prompt: `Warm up ${i}`,
      params: { ...defaultGenerationParams, max_new_tokens: options.tokens },
    })),
  );
  log(`starting npm start with MODEL_URI=${modelDir} MAX_BATCH=${options.maxBatch} ...`);
  const service = await startService({
    env: {
      MODEL_URI: modelDir,
      MAX_BATCH: String(options.maxBatch),
      RATE_LIMIT_PER_MINUTE: '0',
      ...(options.batchWindowMs === null ? {} : { BATCH_WINDOW_MS: String(options.batchWindowMs) }),
    },
    readyTimeoutMs: 180_000,
  });
  try {
    const warmUp = await submitBatch(
      service.baseUrl,
      Array.from({ length: options.maxBatch }, (_, k) => ({
        custom_id: `warm-up-${k}`,
        prompt: `Warm up ${k}`,
        params: { max_new_tokens: options.tokens },
      })),
    );
    await waitForBatch(service.baseUrl, warmUp.id, 300_000);
    // Engine, service, engine, service, ..., engine: each service round is compared with
    // the mean of the engine trials just before and just after it, so a drift in the
    // machine's speed (it is shared: +-15% from one minute to the next was seen) hits both
    // sides of a ratio alike.
    const trial = () =>
      engineTrial(engine, {
        jobs: options.jobs,
        batch: options.maxBatch,
        newTokens: options.tokens,
      });
    log(`engine alone: ${options.jobs} jobs in batches of ${options.maxBatch} ...`);
    let engineBefore = await trial();
    log(`  engine: ${engineBefore.newTokensPerSecond} new tokens/s`);
    const rounds: ThroughputRound[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      log(`round ${round}/${options.rounds}: service, ${options.jobs} jobs ...`);
      const before = await batchSizeTotals(service.baseUrl);
      const probe = startHealthProbe(service.baseUrl);
      const serviceResult = await runThroughput(service.baseUrl, {
        jobs: options.jobs,
        newTokens: options.tokens,
        concurrency: options.concurrency,
      });
      const health = await probe.stop();
      const after = await batchSizeTotals(service.baseUrl);
      log(`  service: ${serviceResult.newTokensPerSecond} new tokens/s`);
      log(`round ${round}/${options.rounds}: engine alone ...`);
      const engineAfter = await trial();
      log(`  engine: ${engineAfter.newTokensPerSecond} new tokens/s`);
      const engineMean = (engineBefore.newTokensPerSecond + engineAfter.newTokensPerSecond) / 2;
      rounds.push({
        service: serviceResult,
        meanBatchSize: round2(meanBatchSize(before, after)),
        engineBefore,
        engineAfter,
        healthzWhileGenerating: health,
        ratio: round2(serviceResult.newTokensPerSecond / engineMean),
      });
      engineBefore = engineAfter;
    }
    return { modelDir, rounds, ...(await stopAndCheck(service)) };
  } finally {
    await service.kill();
    await engine.dispose();
  }
}

async function submitPhase(): Promise<NonNullable<ServiceBenchReport['submitOnly']>> {
  const params = { max_new_tokens: 64, seed: 1 };
  // In production the API is its own Cloud Run service and workers run elsewhere, so the
  // submit path is measured on the API process alone (api/src/main.ts on SQLite): in the
  // combined process on 2 cores, onnxruntime's threads take both cores from the event loop.
  log('starting the API process alone (api/src/main.ts, SQLite) for the submit-only load ...');
  const service = await startService({
    main: 'api',
    // The per-client submission limit (600 a minute by default) would refuse most of the
    // load: this measures the API's own cost, not the limiter's.
    env: { AUTH_MODE: 'open', RATE_LIMIT_PER_MINUTE: '0' },
  });
  try {
    log(`submitting ${options.rate}/s for ${options.seconds} s ...`);
    const result = await runSubmitLoad(service.baseUrl, {
      ratePerSecond: options.rate,
      seconds: options.seconds,
      warmupRequests: 100,
      params,
    });
    const checks = await stopAndCheck(service);
    // The last `requests` submits are the measured ones (the warm-up came first).
    const serverSide = serverLatenciesMs(service.logs(), 'POST', '/v1/generations').slice(
      -result.requests,
    );
    return { ...result, serverLatencyMs: roundSummary(summarize(serverSide), 2), ...checks };
  } finally {
    await service.kill();
  }
}

/** Stops the service and says whether it logged errors meanwhile. */
async function stopAndCheck(service: ServiceProcess): Promise<{ serviceErrorLogLines: number }> {
  await service.stop(15_000);
  return {
    serviceErrorLogLines: service
      .logs()
      .split('\n')
      .filter((line) => line.includes('"severity":"ERROR"')).length,
  };
}

/**
 * bench:engine's batch-32 figure. Its file has listed configurations under `configurations`
 * (and earlier under `best`); either is read.
 */
async function readEngineJson(): Promise<ServiceBenchReport['engineJson']> {
  let parsed: {
    measuredAt?: string;
    configurations?: Array<{ name: string; tokensPerSecond: number }>;
    best?: Array<{ name: string; tokensPerSecond: number }>;
  };
  try {
    parsed = JSON.parse(await readFile(engineResultsFile, 'utf8'));
  } catch {
    return null;
  }
  const entries = [...(parsed.configurations ?? []), ...(parsed.best ?? [])];
  const batch32 = entries.find((entry) => entry.name === 'engine-batch-32');
  return batch32 === undefined
    ? null
    : { measuredAt: parsed.measuredAt ?? '', batch32TokensPerSecond: batch32.tokensPerSecond };
}

function round2(value: number): number {
  return round(value, 2);
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
