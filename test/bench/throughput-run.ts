import {
  isTerminalStatus,
  type JobView,
  mapConcurrently,
  submitJob,
  waitForJob,
} from '../src/e2e/service-client.ts';
import { benchPrompt } from './bench-prompts.ts';
import { round, roundSummary, type Summary, summarize } from './latency-stats.ts';

export interface ThroughputOptions {
  jobs: number;
  newTokens: number;
  concurrency: number;
}

export interface ThroughputResult {
  jobs: number;
  failed: number;
  wallSeconds: number;
  jobsPerSecond: number;
  /** Counted from the results' completion_tokens, not assumed. */
  completionTokens: number;
  newTokensPerSecond: number;
  /** Rows that stopped before max_new_tokens, and why (the API cannot ignore EOS). */
  finishReasons: Record<string, number>;
  minCompletionTokens: number;
  endToEndMs: Summary;
  /** result.timings.generate_ms: the wall time of the generate call the job rode in. */
  generateMs: Summary;
  queueMs: Summary;
  /** End-to-end minus generate_ms: waiting for a batch, HTTP, store, long-poll slack. */
  overheadMs: Summary;
  /** End-to-end minus queue_ms minus generate_ms: what is left once queueing is taken out. */
  residualMs: Summary;
}

interface Sample {
  endToEndMs: number;
  job: JobView;
}

/**
 * `jobs` greedy jobs over HTTP with at most `concurrency` in flight; each is one
 * POST with `Prefer: wait` (then long-polls if that ran out), timed from send to result.
 */
export async function runThroughput(
  baseUrl: string,
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const indexes = Array.from({ length: options.jobs }, (_, i) => i);
  const started = performance.now();
  const samples = await mapConcurrently(indexes, options.concurrency, async (i) => {
    const sentAt = performance.now();
    let job = await submitJob(
      baseUrl,
      { prompt: benchPrompt(i), params: { max_new_tokens: options.newTokens, temperature: 0 } },
      { Prefer: 'wait=60' },
    );
    if (!isTerminalStatus(job.status)) {
      job = await waitForJob(baseUrl, job.id, 600_000);
    }
    return { endToEndMs: performance.now() - sentAt, job } satisfies Sample;
  });
  const wallSeconds = (performance.now() - started) / 1000;
  return summarizeRun(samples, wallSeconds);
}

function summarizeRun(samples: readonly Sample[], wallSeconds: number): ThroughputResult {
  const succeeded = samples.filter((s) => s.job.status === 'succeeded' && s.job.result !== null);
  const results = succeeded.map((s) => s.job.result as NonNullable<JobView['result']>);
  const completionTokens = results.reduce((sum, r) => sum + r.usage.completion_tokens, 0);
  const finishReasons: Record<string, number> = {};
  for (const result of results) {
    finishReasons[result.finish_reason] = (finishReasons[result.finish_reason] ?? 0) + 1;
  }
  const generate = results.map((r) => r.timings.generate_ms);
  const queue = results.map((r) => r.timings.queue_ms);
  const endToEnd = succeeded.map((s) => s.endToEndMs);
  return {
    jobs: samples.length,
    failed: samples.length - succeeded.length,
    wallSeconds: round(wallSeconds, 2),
    jobsPerSecond: round(samples.length / wallSeconds, 2),
    completionTokens,
    newTokensPerSecond: round(completionTokens / wallSeconds, 1),
    finishReasons,
    minCompletionTokens: Math.min(...results.map((r) => r.usage.completion_tokens)),
    endToEndMs: roundSummary(summarize(endToEnd)),
    generateMs: roundSummary(summarize(generate)),
    queueMs: roundSummary(summarize(queue)),
    overheadMs: roundSummary(summarize(endToEnd.map((e, i) => e - (generate[i] ?? 0)))),
    residualMs: roundSummary(
      summarize(endToEnd.map((e, i) => e - (generate[i] ?? 0) - (queue[i] ?? 0))),
    ),
  };
}
