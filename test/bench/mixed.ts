import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEngine } from '@warmgen/worker/engine/load-engine.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { getJob, type JobView, submitJob } from '../src/e2e/service-client.ts';
import { repoRoot, type ServiceProcess, startService } from '../src/e2e/service-process.ts';
import { benchPrompt } from './bench-prompts.ts';
import { engineTrial, mixedEngineTrial } from './engine-reference.ts';
import { percentile, round } from './latency-stats.ts';

/**
 * `npm run bench:mixed`: the workload async users send, through the real `npm start` on the
 * GPT-2-small-shaped model: single jobs of mixed lengths (max_new_tokens drawn from 16, 32,
 * 64, 128, 256 with a fixed seed), greedy, MAX_BATCH=32, under two arrival patterns:
 *   saturation  every job submitted at once
 *   poisson     open-loop Poisson arrivals at `rate` jobs/s (fixed seed), below capacity
 * Each pattern runs under BATCH_POLICY=continuous and BATCH_POLICY=static (the old policy)
 * in the same run, alternating, so the ratios compare figures minutes apart. Two references
 * are measured in this process first: the engine's own batch-32 throughput with equal rows
 * (the ceiling), and the engine alone on the saturation workload itself (all jobs
 * submitted at once in plan order, first come first admitted): what first-come admission
 * leaves of the ceiling on this workload, because the batch thins out while the last long
 * jobs finish. (The service admits in the order the 96 concurrent submits reach its queue,
 * so its tail can come out a little shorter or longer than this one.)
 *
 * Printed per policy and pattern: delivered tokens/s, latency p50/p95 (all jobs, and jobs of
 * at most 32 new tokens), queue wait p95, mean running rows, the service's peak RSS; then
 * the ratios continuous / static. JSON in bench-results/mixed.json.
 *
 *   node test/bench/mixed.ts [--jobs 96] [--rate 1.2] [--rounds 1] [--seed 42]
 */
const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '96' },
    rate: { type: 'string', default: '1.2' },
    rounds: { type: 'string', default: '1' },
    seed: { type: 'string', default: '42' },
    'max-batch': { type: 'string', default: '32' },
  },
});
const options = {
  jobs: Number(values.jobs),
  rate: Number(values.rate),
  rounds: Number(values.rounds),
  seed: Number(values.seed),
  maxBatch: Number(values['max-batch']),
};
const LENGTHS = [16, 32, 64, 128, 256];
const SHORT_TOKENS = 32;
const POLICIES = ['continuous', 'static'] as const;
const PATTERNS = ['saturation', 'poisson'] as const;
type Policy = (typeof POLICIES)[number];
type Pattern = (typeof PATTERNS)[number];

/** mulberry32: a small seeded generator, so every run draws the same workload. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface PlannedJob {
  prompt: string;
  maxNewTokens: number;
  /** Seconds after the pattern's start. */
  arrivalS: number;
}

function plan(pattern: Pattern): PlannedJob[] {
  const random = seeded(options.seed);
  let clock = 0;
  return Array.from({ length: options.jobs }, (_, i) => {
    const maxNewTokens = LENGTHS[Math.floor(random() * LENGTHS.length)]!;
    const gap = -Math.log(1 - random()) / options.rate;
    clock += pattern === 'poisson' ? gap : 0;
    return { prompt: benchPrompt(i), maxNewTokens, arrivalS: clock };
  });
}

interface PatternResult {
  policy: Policy;
  pattern: Pattern;
  jobs: number;
  seconds: number;
  completionTokens: number;
  deliveredTokensPerSecond: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  shortLatencyP50Ms: number;
  shortLatencyP95Ms: number;
  queueWaitP95Ms: number;
  meanRunningRows: number;
  failed: number;
}

async function runPattern(
  service: ServiceProcess,
  policy: Policy,
  pattern: Pattern,
): Promise<PatternResult> {
  const jobs = plan(pattern);
  const running: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const text = await (await fetch(`${service.baseUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('warmgen_worker_in_flight_jobs '));
      running.push(Number(line?.split(' ')[1] ?? Number.NaN));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const started = performance.now();
  const outcomes = await Promise.all(
    jobs.map(async (job) => {
      const wait = started + job.arrivalS * 1000 - performance.now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const submittedAt = performance.now();
      const submitted = await submitJob(service.baseUrl, {
        prompt: job.prompt,
        params: { max_new_tokens: job.maxNewTokens, temperature: 0 },
      });
      let view: JobView = submitted;
      while (!['succeeded', 'failed', 'canceled'].includes(view.status)) {
        view = await getJob(service.baseUrl, submitted.id, 30);
      }
      return { job, view, latencyMs: performance.now() - submittedAt };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  const done = outcomes.filter((o) => o.view.status === 'succeeded');
  const completionTokens = done.reduce(
    (sum, o) => sum + (o.view.result?.usage.completion_tokens ?? 0),
    0,
  );
  const latencies = outcomes.map((o) => o.latencyMs);
  const short = outcomes.filter((o) => o.job.maxNewTokens <= SHORT_TOKENS).map((o) => o.latencyMs);
  const queueWaits = done.map((o) => o.view.result?.timings.queue_ms ?? Number.NaN);
  const samples = running.filter((n) => Number.isFinite(n));
  return {
    policy,
    pattern,
    jobs: jobs.length,
    seconds: round(seconds, 1),
    completionTokens,
    deliveredTokensPerSecond: round(completionTokens / seconds, 1),
    latencyP50Ms: round(percentile(latencies, 50), 0),
    latencyP95Ms: round(percentile(latencies, 95), 0),
    shortLatencyP50Ms: round(percentile(short, 50), 0),
    shortLatencyP95Ms: round(percentile(short, 95), 0),
    queueWaitP95Ms: round(percentile(queueWaits, 95), 0),
    meanRunningRows: round(samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length), 1),
    failed: outcomes.length - done.length,
  };
}

/** Peak resident memory of the service process (VmHWM), in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return round(kb / 1024, 0);
}

const log = (line: string) => console.log(line);
const modelDir = await ensureModel('small');
log(
  `bench:mixed: ${options.jobs} jobs, max_new_tokens from ${LENGTHS.join('/')} (seed ${options.seed}), ` +
    `poisson at ${options.rate} jobs/s, MAX_BATCH=${options.maxBatch}; ${availableParallelism()} cores, ` +
    `load ${loadavg()[0]!.toFixed(2)}`,
);

// The ceiling: the engine alone, equal rows, full batches (EOS on, as in the service).
const engine = await loadEngine({ modelDir, device: 'cpu', maxBatchSize: options.maxBatch });
await engineTrial(engine, { jobs: options.maxBatch, batch: options.maxBatch, newTokens: 8 });
const ceiling = await engineTrial(engine, {
  jobs: options.maxBatch * 2,
  batch: options.maxBatch,
  newTokens: 128,
});
const sameWorkload = await mixedEngineTrial(engine, plan('saturation'));
await engine.dispose();
log(
  `engine alone, batch ${options.maxBatch}, equal rows of 128 tokens: ${ceiling.newTokensPerSecond} tokens/s; ` +
    `on the saturation workload (all ${options.jobs} jobs at once): ${sameWorkload.newTokensPerSecond} tokens/s`,
);

const results: (PatternResult & { peakRssMb: number; round: number })[] = [];
for (let r = 0; r < options.rounds; r++) {
  for (const policy of r % 2 === 0 ? POLICIES : [...POLICIES].reverse()) {
    const service = await startService({
      env: {
        MODEL_URI: modelDir,
        MAX_BATCH: String(options.maxBatch),
        BATCH_POLICY: policy,
        RATE_LIMIT_PER_MINUTE: '0',
      },
      readyTimeoutMs: 180_000,
    });
    try {
      for (const pattern of PATTERNS) {
        const result = await runPattern(service, policy, pattern);
        const peak = await peakRssMb(service.pid);
        results.push({ ...result, peakRssMb: peak, round: r + 1 });
        log(
          `round ${r + 1} ${policy} ${pattern}: ${result.deliveredTokensPerSecond} tokens/s, ` +
            `short p95 ${result.shortLatencyP95Ms} ms, queue wait p95 ${result.queueWaitP95Ms} ms, ` +
            `${result.meanRunningRows} rows running on average, peak RSS ${peak} MB`,
        );
      }
    } finally {
      await service.stop();
    }
  }
}

const median = (xs: number[]) => percentile(xs, 50);
const pick = (policy: Policy, pattern: Pattern, key: keyof PatternResult | 'peakRssMb') =>
  median(
    results.filter((r) => r.policy === policy && r.pattern === pattern).map((r) => Number(r[key])),
  );
const header =
  '| policy | pattern | tokens/s delivered | latency p50 / p95 (s) | ≤32-token jobs p50 / p95 (s) | queue wait p95 (s) | mean running rows | peak RSS (MB) |';
const rows = POLICIES.flatMap((policy) =>
  PATTERNS.map((pattern) => {
    const s = (key: keyof PatternResult) => (pick(policy, pattern, key) / 1000).toFixed(1);
    return `| ${policy} | ${pattern} | ${pick(policy, pattern, 'deliveredTokensPerSecond')} | ${s('latencyP50Ms')} / ${s('latencyP95Ms')} | ${s('shortLatencyP50Ms')} / ${s('shortLatencyP95Ms')} | ${s('queueWaitP95Ms')} | ${pick(policy, pattern, 'meanRunningRows')} | ${pick(policy, pattern, 'peakRssMb')} |`;
  }),
);
const ratio = (pattern: Pattern, key: keyof PatternResult) =>
  round(pick('continuous', pattern, key) / pick('static', pattern, key), 2);
const ratios = [
  `saturation: delivered tokens/s continuous / static ${ratio('saturation', 'deliveredTokensPerSecond')}x; continuous / engine alone at batch ${options.maxBatch} ${round(pick('continuous', 'saturation', 'deliveredTokensPerSecond') / ceiling.newTokensPerSecond, 2)}x; continuous / engine alone on the same jobs at once ${round(pick('continuous', 'saturation', 'deliveredTokensPerSecond') / sameWorkload.newTokensPerSecond, 2)}x; engine alone, same jobs / equal rows ${round(sameWorkload.newTokensPerSecond / ceiling.newTokensPerSecond, 2)}x`,
  `poisson ${options.rate}/s: short-job p95 latency continuous / static ${ratio('poisson', 'shortLatencyP95Ms')}x; queue wait p95 ${(pick('continuous', 'poisson', 'queueWaitP95Ms') / 1000).toFixed(2)} s continuous vs ${(pick('static', 'poisson', 'queueWaitP95Ms') / 1000).toFixed(2)} s static`,
];
log(`\n${header}\n|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n\n${ratios.join('\n')}`);
log(
  `engine alone (batch ${options.maxBatch}, equal rows): ${ceiling.newTokensPerSecond} tokens/s; on the same jobs at once: ${sameWorkload.newTokensPerSecond} tokens/s; load now ${loadavg()[0]!.toFixed(2)}`,
);
await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
const file = join(repoRoot, 'bench-results', 'mixed.json');
await writeFile(
  file,
  `${JSON.stringify({ measuredAt: new Date().toISOString(), options, cores: availableParallelism(), engineAlone: ceiling, engineAloneSameWorkload: sameWorkload, results, ratios }, null, 2)}\n`,
);
log(`results in ${file}`);
