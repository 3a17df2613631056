import { type Env, readInteger, readString } from './parse-env.ts';

/**
 * The OpenAI-compatible surface (/openai/v1): the model id it serves and the limits on
 * uploaded batch files. OpenAI's own limits are the defaults, so a file OpenAI would take
 * is taken here too unless a deployment lowers them.
 */
export interface OpenAiConfig {
  /**
   * MODEL_NAME: the one model id /openai/v1/models lists and requests must name. A request
   * for another model is a 404 model_not_found (see api/src/openai/served-model.ts).
   */
  readonly modelName: string;
  /** OPENAI_MAX_FILE_BYTES: largest upload, in bytes (OpenAI: 200 MB). */
  readonly maxFileBytes: number;
  /** OPENAI_MAX_FILE_LINES: most request lines in one batch input file (OpenAI: 50,000). */
  readonly maxFileLines: number;
}

export const openAiDefaults = {
  /** What the default model folder holds: GPT-2 (or its tiny stand-in, same tokenizer). */
  modelName: 'gpt2',
  /** OpenAI's Batch API limit per input file. */
  maxFileBytes: 200 * 1024 * 1024,
  /** OpenAI's Batch API limit per input file. */
  maxFileLines: 50_000,
} as const;

export function readOpenAiConfig(env: Env): OpenAiConfig {
  return {
    modelName: readString(env, 'MODEL_NAME', openAiDefaults.modelName),
    maxFileBytes: readInteger(
      env,
      'OPENAI_MAX_FILE_BYTES',
      { min: 1_024, max: openAiDefaults.maxFileBytes },
      openAiDefaults.maxFileBytes,
    ),
    maxFileLines: readInteger(
      env,
      'OPENAI_MAX_FILE_LINES',
      { min: 1, max: openAiDefaults.maxFileLines },
      openAiDefaults.maxFileLines,
    ),
  };
}
