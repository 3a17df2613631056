import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  pipeline,
  type TextGenerationPipeline,
} from '@huggingface/transformers';
import { defaultGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { loadEngine } from '../src/engine/load-engine.ts';

/**
 * The configurations the engine benchmark compares, each as a workload that runs in its
 * own child process (see engine.ts): load once, then run "trials" on request. Every trial
 * generates NEW_TOKENS tokens per prompt, greedy, with EOS disabled so every prompt costs
 * the same.
 */
export const NEW_TOKENS = 64;
/** The long-generation case: decode-step time as the cache grows. */
export const LONG_NEW_TOKENS = 512;
export const LONG_PASTS = [40, 200, 400] as const;

export const CONFIGURATION_NAMES = [
  'load-per-request',
  'generate-batch-1',
  'generate-batch-8',
  'generate-batch-32',
  'engine-batch-1',
  'engine-batch-8',
  'engine-batch-32',
  'engine-q8-batch-1',
  'engine-q8-batch-32',
  'engine-long',
  'engine-admission',
] as const;
export type ConfigurationName = (typeof CONFIGURATION_NAMES)[number];

export const DESCRIPTIONS: Record<ConfigurationName, string> = {
  'load-per-request': 'naive: pipeline() created for every prompt',
  'generate-batch-1': 'warm transformers.js model.generate(), 1 prompt',
  'generate-batch-8': 'warm transformers.js model.generate(), 8 prompts (left-padded)',
  'generate-batch-32': 'warm transformers.js model.generate(), 32 prompts (left-padded)',
  'engine-batch-1': 'engine, 1 row',
  'engine-batch-8': 'engine, 8 rows',
  'engine-batch-32': 'engine, 32 rows',
  'engine-q8-batch-1': 'engine, MODEL_DTYPE=q8, 1 row',
  'engine-q8-batch-32': 'engine, MODEL_DTYPE=q8, 32 rows',
  'engine-long': `engine, 32 rows x ${LONG_NEW_TOKENS} new tokens (ms/step by past length)`,
  'engine-admission': 'engine, 24 rows decoding while rows with 200-token prompts join',
};

export interface TrialResult {
  prompts: number;
  newTokens: number;
  seconds: number;
  /** Only for load-per-request: the part of `seconds` spent loading. */
  loadSeconds?: number;
  /** Only for engine-long: median ms of a 32-row decode step at each past length. */
  stepMsByPast?: Record<string, number>;
  /**
   * Only for engine-admission: the running rows' median ms per token in steps without a
   * newcomer and in steps that also prefilled one (its chunk beside the decode pass).
   */
  admission?: { plainStepMs: number; admittingStepMs: number; prefillTokensPerStep: number };
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
    case 'generate-batch-1':
      return warmGenerate(modelDir, 1);
    case 'generate-batch-8':
      return warmGenerate(modelDir, 8);
    case 'generate-batch-32':
      return warmGenerate(modelDir, 32);
    case 'engine-batch-1':
      return engine(modelDir, 1);
    case 'engine-batch-8':
      return engine(modelDir, 8);
    case 'engine-batch-32':
      return engine(modelDir, 32);
    case 'engine-q8-batch-1':
      return engine(modelDir, 1, 'q8');
    case 'engine-q8-batch-32':
      return engine(modelDir, 32, 'q8');
    case 'engine-long':
      return engineLong(modelDir);
    case 'engine-admission':
      return engineAdmission(modelDir);
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

/**
 * What a user would pick instead of warmgen: transformers.js's own model.generate() on the
 * same folder, warm, greedy, `batch` prompts per call (left-padded by its tokenizer, one
 * set of parameters for the whole batch, finished rows computing until the last ends).
 */
async function warmGenerate(modelDir: string, batch: number): Promise<Workload> {
  const started = performance.now();
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  tokenizer.padding_side = 'left';
  const model = await AutoModelForCausalLM.from_pretrained(modelDir, {
    local_files_only: true,
    device: 'cpu',
    dtype: 'fp32',
  });
  const loadSeconds = (performance.now() - started) / 1000;
  const run = async (prompts: string[], maxNewTokens: number) => {
    const inputs = tokenizer(prompts, { padding: true });
    await model.generate({ ...inputs, ...pipelineArgs, max_new_tokens: maxNewTokens });
  };
  await run(benchPrompts(batch), 4);
  return {
    loadSeconds,
    trial: (index) => {
      const prompts = benchPrompts(batch, index * batch);
      return timed(prompts, () => run(prompts, NEW_TOKENS));
    },
    close: () => model.dispose().then(() => undefined),
  };
}

/**
 * The prefill policy's cost to running rows: 24 rows decode 160 tokens while, every 10
 * steps, a row with a 200-token prompt joins (prefilled at most 64 tokens a step). A step's
 * wall time (decode pass + prefill beside it) is each running row's time per token.
 */
async function engineAdmission(modelDir: string): Promise<Workload> {
  const started = performance.now();
  const loaded = await loadEngine({ modelDir, device: 'cpu', maxBatchSize: 32, ignoreEos: true });
  const loadSeconds = (performance.now() - started) / 1000;
  const running = { ...defaultGenerationParams, temperature: 0, max_new_tokens: 160 };
  const joining = { ...defaultGenerationParams, temperature: 0, max_new_tokens: 16 };
  const longPrompt = benchPrompts(1)[0]!.concat(' and more'.repeat(66));
  return {
    loadSeconds,
    trial: async (index) => {
      const plain: number[] = [];
      const admitting: number[] = [];
      let steps = 0;
      const joined: Promise<unknown>[] = [];
      (loaded as { onStep?: unknown }).onStep = (report: {
        decodeRows: number;
        decodeMs: number;
        prefillTokens: number;
        prefillMs: number;
      }) => {
        if (report.decodeRows < 24) {
          return;
        }
        (report.prefillTokens > 0 ? admitting : plain).push(report.decodeMs + report.prefillMs);
        if (++steps % 10 === 0 && joined.length < 8) {
          joined.push(loaded.generate([{ prompt: `${longPrompt} ${index}`, params: joining }]));
        }
      };
      const prompts = benchPrompts(24, index * 24);
      const startedAt = performance.now();
      await loaded.generate(prompts.map((prompt) => ({ prompt, params: running })));
      await Promise.all(joined);
      const seconds = (performance.now() - startedAt) / 1000;
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
      return {
        prompts: 24,
        newTokens: 24 * 160,
        seconds,
        admission: {
          plainStepMs: median(plain),
          admittingStepMs: median(admitting),
          prefillTokensPerStep: 64,
        },
      };
    },
    close: () => loaded.dispose(),
  };
}

/** 32 rows of LONG_NEW_TOKENS: each decode step's time, by the rows' past length. */
async function engineLong(modelDir: string): Promise<Workload> {
  const rows = 32;
  const started = performance.now();
  const loaded = await loadEngine({ modelDir, device: 'cpu', maxBatchSize: rows, ignoreEos: true });
  const loadSeconds = (performance.now() - started) / 1000;
  const params = { ...defaultGenerationParams, temperature: 0, max_new_tokens: LONG_NEW_TOKENS };
  return {
    loadSeconds,
    trial: async (index) => {
      const prompts = benchPrompts(rows, index * rows);
      const steps: number[] = [];
      (loaded as { onStep?: unknown }).onStep = (report: {
        decodeRows: number;
        decodeMs: number;
        prefillTokens: number;
      }) => {
        if (report.decodeRows === rows && report.prefillTokens === 0) {
          steps.push(report.decodeMs);
        }
      };
      const startedAt = performance.now();
      await loaded.generate(prompts.map((prompt) => ({ prompt, params })));
      const seconds = (performance.now() - startedAt) / 1000;
      // Step k (0-based) feeds a row whose past is its prompt (4-14 tokens) plus k tokens.
      const stepMsByPast: Record<string, number> = {};
      for (const past of LONG_PASTS) {
        const around = steps.slice(Math.max(0, past - 12), past - 2).sort((a, b) => a - b);
        stepMsByPast[past] = around[around.length >> 1] ?? Number.NaN;
      }
      return { prompts: rows, newTokens: rows * LONG_NEW_TOKENS, seconds, stepMsByPast };
    },
    close: () => loaded.dispose(),
  };
}

async function engine(
  modelDir: string,
  batch: number,
  dtype: 'fp32' | 'q8' = 'fp32',
): Promise<Workload> {
  const started = performance.now();
  const loaded = await loadEngine({
    modelDir,
    device: 'cpu',
    maxBatchSize: batch,
    ignoreEos: true,
    dtype,
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
