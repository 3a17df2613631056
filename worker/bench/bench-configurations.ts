import { env, pipeline, type TextGenerationPipeline } from '@huggingface/transformers';
import { defaultGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { loadEngine } from '../src/engine/load-engine.ts';

/**
 * The configurations the engine benchmark compares, each as a workload that runs in its
 * own child process (see engine.ts): load once, then run "trials" on request. Every trial
 * generates NEW_TOKENS tokens per prompt, greedy, with EOS disabled so every prompt costs
 * the same.
 */
export const NEW_TOKENS = 64;

export const CONFIGURATION_NAMES = [
  'load-per-request',
  'pipeline-warm',
  'engine-batch-1',
  'engine-batch-8',
  'engine-batch-32',
] as const;
export type ConfigurationName = (typeof CONFIGURATION_NAMES)[number];

export const DESCRIPTIONS: Record<ConfigurationName, string> = {
  'load-per-request': 'naive: pipeline() created for every prompt',
  'pipeline-warm': 'warm transformers.js pipeline(), 1 prompt at a time',
  'engine-batch-1': 'engine, generate() of 1 row',
  'engine-batch-8': 'engine, generate() of 8 rows',
  'engine-batch-32': 'engine, generate() of 32 rows',
};

export interface TrialResult {
  prompts: number;
  newTokens: number;
  seconds: number;
  /** Only for load-per-request: the part of `seconds` spent loading. */
  loadSeconds?: number;
}

export interface Workload {
  /** Seconds the model took to load (load-per-request: 0, its loads are in its trials). */
  loadSeconds: number;
  trial(index: number): Promise<TrialResult>;
  close(): Promise<void>;
}

const TOPICS = [
  'The history of the printing press',
  'A recipe for bread',
  'Why the sky is blue:',
  'Dear hiring manager, I am writing to apply for',
  'In a distant galaxy, a small robot',
  'The three most important rules of chess are',
  'Once upon a time in a quiet village',
  'The weather forecast for tomorrow says',
];

/** `count` prompts of mixed lengths (4 to 14 tokens), starting at the `offset`-th. */
export function benchPrompts(count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const topic = TOPICS[i % TOPICS.length]!;
    return i < TOPICS.length ? topic : `${topic} (${i})`;
  });
}

export async function startWorkload(name: ConfigurationName, modelDir: string): Promise<Workload> {
  env.allowRemoteModels = false;
  switch (name) {
    case 'load-per-request':
      return loadPerRequest(modelDir);
    case 'pipeline-warm':
      return warmPipeline(modelDir);
    case 'engine-batch-1':
      return engine(modelDir, 1);
    case 'engine-batch-8':
      return engine(modelDir, 8);
    case 'engine-batch-32':
      return engine(modelDir, 32);
  }
}

/** transformers.js generate() arguments: greedy, exactly NEW_TOKENS new tokens. */
const pipelineArgs = {
  max_new_tokens: NEW_TOKENS,
  do_sample: false,
  // null drops the EOS stopping criterion (generation_config.eos_token_id !== null).
  eos_token_id: null,
} as Record<string, unknown>;

/** transformers.js with its defaults: no session options of ours. */
async function loadPipeline(modelDir: string): Promise<TextGenerationPipeline> {
  return (await pipeline('text-generation', modelDir, {
    local_files_only: true,
    device: 'cpu',
    dtype: 'fp32',
  })) as TextGenerationPipeline;
}

async function timed(prompts: string[], run: () => Promise<void>): Promise<TrialResult> {
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  return { prompts: prompts.length, newTokens: prompts.length * NEW_TOKENS, seconds };
}

/** The naive service: load the model for every request, generate, throw it away. */
async function loadPerRequest(modelDir: string): Promise<Workload> {
  return {
    loadSeconds: 0,
    trial: async (index) => {
      const prompts = benchPrompts(1, index);
      let loadSeconds = 0;
      const result = await timed(prompts, async () => {
        const started = performance.now();
        const generator = await loadPipeline(modelDir);
        loadSeconds = (performance.now() - started) / 1000;
        await generator(prompts[0]!, pipelineArgs);
        await generator.dispose();
      });
      return { ...result, loadSeconds };
    },
    close: async () => {},
  };
}

async function warmPipeline(modelDir: string): Promise<Workload> {
  const started = performance.now();
  const generator = await loadPipeline(modelDir);
  const loadSeconds = (performance.now() - started) / 1000;
  await generator('Warm up', { ...pipelineArgs, max_new_tokens: 4 });
  return {
    loadSeconds,
    trial: (index) => {
      const prompts = benchPrompts(1, index);
      return timed(prompts, async () => {
        await generator(prompts[0]!, pipelineArgs);
      });
    },
    close: () => generator.dispose().then(() => undefined),
  };
}

async function engine(modelDir: string, batch: number): Promise<Workload> {
  const started = performance.now();
  const loaded = await loadEngine({
    modelDir,
    device: 'cpu',
    maxBatchSize: batch,
    ignoreEos: true,
  });
  const loadSeconds = (performance.now() - started) / 1000;
  const params = { ...defaultGenerationParams, temperature: 0, max_new_tokens: NEW_TOKENS };
  await loaded.generate([{ prompt: 'Warm up', params: { ...params, max_new_tokens: 4 } }]);
  return {
    loadSeconds,
    trial: async (index) => {
      const prompts = benchPrompts(batch, index * batch);
      let generated = 0;
      const result = await timed(prompts, async () => {
        const outputs = await loaded.generate(prompts.map((prompt) => ({ prompt, params })));
        generated = outputs.reduce((sum, output) => sum + output.completionTokens, 0);
      });
      if (generated !== result.newTokens) {
        throw new Error(`engine generated ${generated} tokens, expected ${result.newTokens}`);
      }
      return result;
    },
    close: () => loaded.dispose(),
  };
}
