import type { GenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { FinishReason } from '@warmgen/shared/domain/job.ts';

/**
 * The generation engine: a GPT-2 model loaded once and kept warm, generating for a batch
 * of requests in one call, each row with its own parameters. Rows stop independently.
 */
export interface GenerationRequest {
  prompt: string;
  params: GenerationParams;
  /** Aborting stops this row at its next decode step (finishReason "canceled"). */
  signal?: AbortSignal;
  /**
   * Called once, as soon as this row finishes (the rest of the batch may still be
   * decoding), with the same output object generate() later returns for it. Lets a caller
   * record a short row without waiting for the slowest one. It may have fired for some rows
   * when generate() later throws. Must not throw (a throw is swallowed: it must not break
   * the neighbours' decode).
   */
  onDone?: (output: GenerationOutput) => void;
}

export interface GenerationOutput {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: FinishReason;
  timings: {
    /** This row's own wall time: from the start of the generate() call until it finished. */
    generateMs: number;
    /** Time to the first new token for this row (prefill of the batch). */
    firstTokenMs: number;
    /** completionTokens per second of this row's own decode time. */
    tokensPerSecond: number;
  };
}

export type Device = 'cpu' | 'cuda';

export interface EngineOptions {
  /** Local folder holding config.json, tokenizer files and onnx/model.onnx. */
  modelDir: string;
  device: Device;
  /** Most rows one generate() call accepts. */
  maxBatchSize: number;
  /**
   * Benchmarks only (fixed-length runs): EOS (50256) does not end a row and is kept in the
   * text. Not part of the public API's parameters.
   */
  ignoreEos?: boolean;
  /** onnxruntime threads per operator; default: onnxruntime's (one per physical core). */
  intraOpThreads?: number;
  /**
   * Memory bound: the most KV-cache bytes one forward pass may produce. Rows beyond it
   * decode in further passes of the same step (slower, bounded memory). Default 96 MiB.
   */
  kvBytesPerPass?: number;
}

export interface GenerationEngine {
  readonly maxBatchSize: number;
  /** n_positions of the model: prompt + max_new_tokens must fit. */
  readonly maxPositions: number;
  /**
   * Checks one request without computing: null when it can run, otherwise a message that
   * says what is wrong (e.g. prompt + max_new_tokens beyond the model's positions).
   */
  validate(request: GenerationRequest): string | null;
  /** Generates for every row; throws before any compute if a row fails validate(). */
  generate(requests: GenerationRequest[]): Promise<GenerationOutput[]>;
  dispose(): Promise<void>;
}
