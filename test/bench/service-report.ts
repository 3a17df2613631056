import type { EngineTrial } from './engine-reference.ts';
import { round, type Summary } from './latency-stats.ts';
import type { SubmitLoadResult } from './submit-load.ts';
import type { ThroughputResult } from './throughput-run.ts';

/** What bench:service writes to bench-results/service.json. */
export interface ServiceBenchReport {
  measuredAt: string;
  cores: number;
  loadAverageAtStart: number[];
  options: Record<string, number | null>;
  throughput: {
    modelDir: string;
    rounds: ThroughputRound[];
    serviceErrorLogLines: number;
  } | null;
  submitOnly:
    | (SubmitLoadResult & {
        /** The same requests as the service logged them (time inside the server). */
        serverLatencyMs: Summary;
        serviceErrorLogLines: number;
      })
    | null;
  /** bench:engine's best batch-32 figure, if that benchmark was run. */
  engineJson: { measuredAt: string; batch32TokensPerSecond: number } | null;
}

/** One service round and the engine trials just before and after it. */
export interface ThroughputRound {
  service: ThroughputResult;
  meanBatchSize: number;
  engineBefore: EngineTrial;
  engineAfter: EngineTrial;
  /** GET /healthz every 100 ms during the round: is the API still answering at once? */
  healthzWhileGenerating: { latencyMs: Summary; errors: number };
  /** Service tokens/s over the mean of engineBefore and engineAfter. */
  ratio: number;
}

/** Targets from the issue. */
export const targets = {
  serviceToEngineRatio: 0.9,
  submitP99Ms: 20,
} as const;

export function printReport(report: ServiceBenchReport): void {
  const out: string[] = [];
  out.push(
    `\nbench:service — ${report.measuredAt}, ${report.cores} cores, ` +
      `load average at start ${report.loadAverageAtStart.join(' / ')}`,
  );
  if (report.throughput) {
    printThroughput(out, report);
  }
  if (report.submitOnly) {
    printSubmit(out, report.submitOnly);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function printThroughput(out: string[], report: ServiceBenchReport): void {
  const throughput = report.throughput;
  if (!throughput) {
    return;
  }
  const o = report.options;
  out.push(
    `\nThroughput: ${o.jobs} jobs x ${o.tokens} new tokens (greedy, EOS on), concurrency ` +
      `${o.concurrency}, MAX_BATCH=${o.maxBatch}, BATCH_WINDOW_MS=${o.batchWindowMs ?? 'default'}, ` +
      'GPT-2-small-shaped model',
  );
  out.push(
    row([
      'round',
      'engine before / after tok/s',
      'service tok/s',
      'ratio',
      'jobs/s',
      'e2e p50/p99 ms',
      'overhead p50/p99 ms',
      'queue p50/p99 ms',
      'residual p50/p99 ms',
      'mean batch',
      'tokens (min/job)',
      '/healthz p50/p99 ms',
    ]),
  );
  for (const [index, r] of throughput.rounds.entries()) {
    const s = r.service;
    out.push(
      row([
        String(index + 1),
        `${r.engineBefore.newTokensPerSecond} / ${r.engineAfter.newTokensPerSecond}`,
        String(s.newTokensPerSecond),
        String(r.ratio),
        String(s.jobsPerSecond),
        `${s.endToEndMs.p50} / ${s.endToEndMs.p99}`,
        `${s.overheadMs.p50} / ${s.overheadMs.p99}`,
        `${s.queueMs.p50} / ${s.queueMs.p99}`,
        `${s.residualMs.p50} / ${s.residualMs.p99}`,
        String(r.meanBatchSize),
        `${s.completionTokens} (${s.minCompletionTokens})`,
        `${r.healthzWhileGenerating.latencyMs.p50} / ${r.healthzWhileGenerating.latencyMs.p99}` +
          (r.healthzWhileGenerating.errors > 0
            ? ` (${r.healthzWhileGenerating.errors} failed)`
            : ''),
      ]),
    );
  }
  const failed = throughput.rounds.reduce((sum, r) => sum + r.service.failed, 0);
  const reasons = throughput.rounds.map((r) => JSON.stringify(r.service.finishReasons)).join(' ');
  out.push(`finish reasons per round: ${reasons}; failed jobs: ${failed}`);
  const ratios = throughput.rounds.map((r) => r.ratio);
  out.push(
    `service / engine alone, same run, median of ${ratios.length} rounds (${ratios.join(', ')}): ` +
      `${verdict(median(ratios), targets.serviceToEngineRatio)}`,
  );
  const bestService = Math.max(...throughput.rounds.map((r) => r.service.newTokensPerSecond));
  if (report.engineJson) {
    const engine = report.engineJson.batch32TokensPerSecond;
    out.push(
      `vs bench-results/engine.json batch-32 (${round(engine, 1)} tok/s, measured ` +
        `${report.engineJson.measuredAt}): ${verdict(bestService / engine, targets.serviceToEngineRatio)}`,
    );
  } else {
    out.push(
      'bench-results/engine.json has no batch-32 figure: run `npm run bench:engine` first ' +
        'for the engine benchmark comparison.',
    );
  }
}

function printSubmit(out: string[], s: NonNullable<ServiceBenchReport['submitOnly']>): void {
  out.push(
    `\nSubmit-only: POST /v1/generations at ${s.targetRatePerSecond}/s open loop ` +
      `(achieved ${s.achievedRatePerSecond}/s), ${s.requests} requests; the ` +
      'API process alone (api/src/main.ts on SQLite), as deployed apart from the workers',
  );
  out.push(row(['measured by', 'p50 ms', 'p99 ms', 'max ms', 'mean ms', 'errors']));
  out.push(
    row([
      'client (send to answer)',
      String(s.latencyMs.p50),
      String(s.latencyMs.p99),
      String(s.latencyMs.max),
      String(s.latencyMs.mean),
      String(s.errors),
    ]),
  );
  out.push(
    row([
      'server (its request log)',
      String(s.serverLatencyMs.p50),
      String(s.serverLatencyMs.p99),
      String(s.serverLatencyMs.max),
      String(s.serverLatencyMs.mean),
      '',
    ]),
  );
  out.push(`client sender lag p50/p99: ${s.senderLagMs.p50} / ${s.senderLagMs.p99} ms`);
  if (s.errorSamples.length > 0) {
    out.push(`error samples: ${s.errorSamples.join(' | ')}`);
  }
  const ok = s.latencyMs.p99 <= targets.submitP99Ms && s.errors === 0;
  out.push(
    `target p99 <= ${targets.submitP99Ms} ms with zero errors: ${ok ? 'MET' : 'NOT MET'}` +
      ` (service logged ${s.serviceErrorLogLines} error lines)`,
  );
}

function verdict(ratio: number, target: number): string {
  return `ratio ${round(ratio, 2)} (target >= ${target}: ${ratio >= target ? 'MET' : 'NOT MET'})`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
