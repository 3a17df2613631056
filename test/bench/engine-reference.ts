import { defaultGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { GenerationEngine } from '@warmgen/worker/engine/generation-engine.ts';
import { benchPrompt } from './bench-prompts.ts';
import { round } from './latency-stats.ts';

export interface EngineTrial {
  rows: number;
  completionTokens: number;
  seconds: number;
  newTokensPerSecond: number;
}

/**
 * The engine alone, in this process, at one batch of `rows`: the ceiling the service's
 * throughput is compared with when both are measured in the same run (the machine is
 * shared, so figures from another run are only a rough guide). Same prompts, same greedy
 * params and the same EOS handling as the service's jobs.
 */
export async function engineTrial(
  engine: GenerationEngine,
  rows: number,
  newTokens: number,
  promptOffset: number,
): Promise<EngineTrial> {
  const params = { ...defaultGenerationParams, temperature: 0, max_new_tokens: newTokens };
  const requests = Array.from({ length: rows }, (_, i) => ({
    prompt: benchPrompt(promptOffset + i),
    params,
  }));
  const started = performance.now();
  const outputs = await engine.generate(requests);
  const seconds = (performance.now() - started) / 1000;
  const completionTokens = outputs.reduce((sum, output) => sum + output.completionTokens, 0);
  return {
    rows,
    completionTokens,
    seconds: round(seconds, 2),
    newTokensPerSecond: round(completionTokens / seconds, 1),
  };
}
