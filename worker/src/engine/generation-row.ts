import type { GenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { FinishReason } from '@warmgen/shared/domain/job.ts';
import type { GenerationOutput, GenerationRequest } from './generation-engine.ts';
import { createRowRandom } from './row-random.ts';
import { RowTextStream } from './row-text-stream.ts';
import { StopSequenceMatcher } from './stop-sequence-matcher.ts';
import type { TextCodec } from './text-codec.ts';
import type { SamplingSettings, TokenSampler } from './token-sampler.ts';

/** Coalescing of a row's text pieces when a request does not say (GenerationRequest). */
export const DEFAULT_TEXT_INTERVAL_MS = 100;

export interface RowContext {
  codec: TextCodec;
  eosTokenId: number;
  /** Benchmarks only: EOS is a token like any other and never ends a row. */
  ignoreEos: boolean;
}

/**
 * One request's state through a batched generation: its own parameters, random stream,
 * tokens and stop matching. Lives from prefill until it finishes; the decode loop only
 * asks it to pick a token and tells it which token was chosen.
 */
export class GenerationRow {
  /** Index of the request in the generate() call (outputs keep that order). */
  readonly index: number;
  readonly promptIds: readonly number[];
  private readonly params: GenerationParams;
  private readonly signal: AbortSignal | undefined;
  private readonly onDone: ((output: GenerationOutput) => void) | undefined;
  private readonly context: RowContext;
  private readonly sampling: SamplingSettings;
  private readonly random: () => number;
  private readonly stops: StopSequenceMatcher;
  /** The row's text in pieces while it generates, when the caller asked for them. */
  private readonly textStream: RowTextStream | undefined;
  /** Ids the repetition penalty applies to: the prompt and every generated token. */
  private readonly seen: Set<number>;
  /** Completion ids that are part of the text (an ending EOS is not). */
  private readonly completion: number[] = [];
  private completionTokens = 0;
  private reason: FinishReason | null = null;
  private text = '';
  private firstTokenAtMs: number | null = null;
  private result: GenerationOutput | null = null;
  private failure: Error | null = null;
  /** performance.now() when the row was submitted: its timings start there. */
  private readonly startedAtMs = performance.now();
  private readonly outcome = Promise.withResolvers<GenerationOutput>();
  /** Resolves with the output when the row finishes; rejects if the engine failed it. */
  readonly done: Promise<GenerationOutput> = this.outcome.promise;

  constructor(index: number, request: GenerationRequest, promptIds: number[], context: RowContext) {
    this.index = index;
    this.promptIds = promptIds;
    this.params = request.params;
    this.signal = request.signal;
    this.onDone = request.onDone;
    this.context = context;
    this.sampling = {
      temperature: request.params.temperature,
      topK: request.params.top_k,
      topP: request.params.top_p,
      repetitionPenalty: request.params.repetition_penalty,
    };
    this.random = createRowRandom(request.params.seed);
    this.stops = new StopSequenceMatcher(request.params.stop);
    this.seen = new Set(promptIds);
    this.textStream =
      request.onText === undefined
        ? undefined
        : new RowTextStream(
            {
              onText: request.onText,
              intervalMs: request.textIntervalMs ?? DEFAULT_TEXT_INTERVAL_MS,
            },
            context.codec,
            request.params.stop,
            this.startedAtMs,
          );
  }

  /** Finished (with an output) or failed: either way the row leaves the batch. */
  get finished(): boolean {
    return this.reason !== null || this.failure !== null;
  }

  /** Ends the row with an error instead of an output (a forward pass that threw). */
  fail(error: Error): void {
    if (this.finished) {
      return;
    }
    this.failure = error;
    this.outcome.reject(error);
  }

  /** Most cache columns this row can ever need: its prompt plus every new token. */
  get maxColumns(): number {
    return this.promptIds.length + this.params.max_new_tokens;
  }

  /** The token to feed next step (the last accepted one). */
  get lastToken(): number {
    return this.completion.at(-1) ?? this.context.eosTokenId;
  }

  /** Stops the row as canceled if its signal fired; true when it did. */
  cancelIfAborted(nowMs: number): boolean {
    if (this.signal?.aborted) {
      this.finish('canceled', nowMs);
      return true;
    }
    return false;
  }

  pick(logits: Float32Array, sampler: TokenSampler): number {
    return sampler.pick(logits, this.sampling, this.seen, this.random);
  }

  /** Records the chosen token and finishes the row if it ended. */
  accept(token: number, nowMs: number): void {
    this.completionTokens++;
    this.firstTokenAtMs ??= nowMs;
    if (token === this.context.eosTokenId && !this.context.ignoreEos) {
      this.finish('eos', nowMs);
      return;
    }
    this.completion.push(token);
    this.seen.add(token);
    const cut = this.stops.check(this.completion, this.context.codec);
    if (cut !== null) {
      this.text = cut;
      this.finish('stop', nowMs);
    } else if (this.completionTokens >= this.params.max_new_tokens) {
      this.finish('length', nowMs);
    } else {
      this.textStream?.grew(this.completion, nowMs);
    }
  }

  /** Ends the row once (later calls are ignored) and hands its output to onDone. */
  private finish(reason: FinishReason, nowMs: number): void {
    if (this.finished) {
      return;
    }
    this.reason = reason;
    if (reason !== 'stop' && this.completion.length > 0) {
      this.text = this.context.codec.decode(this.completion);
    }
    const { startedAtMs } = this;
    const rowSeconds = (nowMs - startedAtMs) / 1000;
    this.result = {
      text: this.text,
      promptTokens: this.promptIds.length,
      completionTokens: this.completionTokens,
      finishReason: reason,
      timings: {
        generateMs: nowMs - startedAtMs,
        firstTokenMs: (this.firstTokenAtMs ?? nowMs) - startedAtMs,
        tokensPerSecond: rowSeconds > 0 ? this.completionTokens / rowSeconds : 0,
      },
    };
    // The last piece before onDone: a caller sees all the text before the row is done.
    this.textStream?.finished(this.text);
    try {
      this.onDone?.(this.result);
    } catch {
      // The caller's bookkeeping must not break the decode of the neighbours.
    }
    this.outcome.resolve(this.result);
  }

  /** The finished row's output: the object onDone received. */
  output(): GenerationOutput {
    if (this.result === null) {
      throw new Error(`row ${this.index} has not finished`);
    }
    return this.result;
  }
}
