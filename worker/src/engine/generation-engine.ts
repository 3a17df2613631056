import type { Device } from '@warmgen/shared/config/load-config.ts';
import type { GenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { FinishReason } from '@warmgen/shared/domain/job.ts';

/**
 * The generation engine: a GPT-2 model loaded once and kept warm, generating for a running
 * batch of rows, each with its own parameters. Rows join between decode steps and leave as
 * soon as they finish (continuous batching), so calls to generate() may overlap.
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
  /**
   * Live output: called with each new piece of the row's text while it generates, at most
   * once per textIntervalMs, and once more with the rest just before onDone. The pieces
   * joined are the output's text: never half a character, never text that may still turn
   * out to be a stop sequence (held back until it cannot). Must not throw (swallowed).
   */
  onText?: (piece: string) => void;
  /** Least milliseconds between two onText calls of this row; default 100. */
  textIntervalMs?: number;
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

// DEVICE's values, declared once with the configuration that reads them.
export type { Device };

export interface EngineOptions {
  /** Local folder holding config.json, tokenizer files and onnx/model.onnx. */
  modelDir: string;
  device: Device;
  /** Most rows running at once (over all generate() calls); default from the budget (kv-budget.ts). */
  maxBatchSize?: number;
  /**
   * Benchmarks only (fixed-length runs): EOS (50256) does not end a row and is kept in the
   * text. Not part of the public API's parameters.
   */
  ignoreEos?: boolean;
  /** onnxruntime threads per operator; default: onnxruntime's (one per physical core). */
  intraOpThreads?: number;
  /**
   * Memory bound: the KV-cache bytes all running rows may use together. A row waits for
   * admission while it would not fit. Must hold one row at the model's full positions.
   * Default: derived from the memory limit and the model's size (kv-budget.ts).
   */
  kvBudgetBytes?: number;
  /**
   * Weights: fp32 (default; greedy output equals transformers.js generate()) or q8 (8-bit
   * linear weights, opt-in: faster, with slightly different logits; see decode-graph.ts).
   */
  dtype?: 'fp32' | 'q8';
  /**
   * Where the KV cache lives between steps: 'host' buffers (default for cpu and cuda) or
   * 'device', owned by the graph (default for webgpu; decode-graph.ts). Tests run 'device'
   * on the CPU to check the device path's logic where no GPU is.
   */
  kvPlacement?: 'host' | 'device';
  /** Prompt tokens prefilled per decode step while other rows decode; default 64. */
  prefillTokensPerStep?: number;
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
  /**
   * Adds the rows to the running batch and resolves with their outputs, in order, once all
   * of them finished; throws before any compute if a row fails validate(). Calls overlap.
   */
  generate(requests: GenerationRequest[]): Promise<GenerationOutput[]>;
  dispose(): Promise<void>;
}
