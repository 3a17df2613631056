import { defaultGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { GenerationEngine } from '@warmgen/worker/engine/generation-engine.ts';
import { benchPrompt } from './bench-prompts.ts';
import { round } from './latency-stats.ts';

export interface EngineTrial {
  jobs: number;
  /** Rows per generate() call: the service's MAX_BATCH. */
  batch: number;
  completionTokens: number;
  seconds: number;
  newTokensPerSecond: number;
}

/**
 * The engine alone, in this process, on the service round's own work: the same `jobs`
 * prompts, greedy params and EOS handling, as back-to-back generate() calls of `batch`
 * rows (what a batch-`batch` engine does with them). This is the ceiling the service's
 * throughput is compared with when both are measured in the same run.
 */
export async function engineTrial(
  engine: GenerationEngine,
  options: { jobs: number; batch: number; newTokens: number },
): Promise<EngineTrial> {
  const params = { ...defaultGenerationParams, temperature: 0, max_new_tokens: options.newTokens };
  const requests = Array.from({ length: options.jobs }, (_, i) => ({
    prompt: benchPrompt(i),
    params,
  }));
  let completionTokens = 0;
  const started = performance.now();
  for (let first = 0; first < requests.length; first += options.batch) {
    const outputs = await engine.generate(requests.slice(first, first + options.batch));
    completionTokens += outputs.reduce((sum, output) => sum + output.completionTokens, 0);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    jobs: options.jobs,
    batch: options.batch,
    completionTokens,
    seconds: round(seconds, 2),
    newTokensPerSecond: round(completionTokens / seconds, 1),
  };
}

/**
 * The engine alone on a mixed workload all submitted at once: every job its own generate()
 * call, so rows join the running batch as slots free up, in submission order (what a
 * worker's continuous batching does with a full queue, without HTTP, store or queue). Its
 * tokens/s is the ceiling of this workload under first-come admission: the batch thins
 * out at the end, while the last long jobs finish with few rows beside them.
 */
export async function mixedEngineTrial(
  engine: GenerationEngine,
  jobs: { prompt: string; maxNewTokens: number }[],
): Promise<{
  jobs: number;
  completionTokens: number;
  seconds: number;
  newTokensPerSecond: number;
}> {
  const started = performance.now();
  const outputs = await Promise.all(
    jobs.map((job) =>
      engine.generate([
        {
          prompt: job.prompt,
          params: { ...defaultGenerationParams, temperature: 0, max_new_tokens: job.maxNewTokens },
        },
      ]),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const completionTokens = outputs.flat().reduce((sum, output) => sum + output.completionTokens, 0);
  return {
    jobs: jobs.length,
    completionTokens,
    seconds: round(seconds, 2),
    newTokensPerSecond: round(completionTokens / seconds, 1),
  };
}
