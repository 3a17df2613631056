import { ContinuousBatch, type DecodeForward, type StepReport } from './continuous-batch.ts';
import type { GenerationEngine, GenerationOutput, GenerationRequest } from './generation-engine.ts';
import { GenerationRequestError } from './generation-request-error.ts';
import { GenerationRow } from './generation-row.ts';
import { promptIdsOf } from './request-check.ts';
import type { TextCodec } from './text-codec.ts';
import { TokenSampler } from './token-sampler.ts';

export interface Gpt2EngineParts {
  forward: DecodeForward;
  codec: TextCodec;
  maxBatchSize: number;
  maxPositions: number;
  vocabSize: number;
  /** <|endoftext|>: ends a row, pads the batch, and stands in for an empty prompt. */
  eosTokenId: number;
  ignoreEos: boolean;
  /** KV-cache bytes of all running rows together (see continuous-batch.ts). */
  kvBudgetBytes: number;
  /** Prompt tokens prefilled per decode step while rows decode (see continuous-batch.ts). */
  prefillTokensPerStep: number;
  /** Prompt tokens one prefill pass may take when no row decodes. */
  idlePrefillTokens: number;
  release(): Promise<void>;
}

/**
 * The GenerationEngine over a loaded GPT-2 (see load-engine.ts for how it is loaded).
 *
 * Contract details:
 * - `text` is the completion only (not the prompt), decoded exactly (special tokens kept,
 *   no space clean-up); with a stop sequence it is cut before the stop; an ending EOS is
 *   not part of it.
 * - An empty prompt is fed as a single <|endoftext|> (GPT-2 needs at least one token, and
 *   that is the token it saw between documents in training); promptTokens counts it.
 * - completionTokens counts every token the row generated, the ending EOS included.
 * - generate() calls may overlap: every call's rows join one running batch (continuous
 *   batching), so a caller that submits each job on its own as a slot frees up keeps the
 *   batch full. Each row's output arrives through its onDone and the call's result.
 */
export class Gpt2GenerationEngine implements GenerationEngine {
  readonly maxBatchSize: number;
  readonly maxPositions: number;
  private readonly parts: Gpt2EngineParts;
  private readonly batch: ContinuousBatch;
  private disposed = false;

  constructor(parts: Gpt2EngineParts) {
    this.parts = parts;
    this.maxBatchSize = parts.maxBatchSize;
    this.maxPositions = parts.maxPositions;
    this.batch = new ContinuousBatch(parts.forward, new TokenSampler(parts.vocabSize), {
      maxRows: parts.maxBatchSize,
      kvBudgetBytes: parts.kvBudgetBytes,
      prefillTokensPerStep: parts.prefillTokensPerStep,
      idlePrefillTokens: parts.idlePrefillTokens,
      maxPositions: parts.maxPositions,
      vocabSize: parts.vocabSize,
      padTokenId: parts.eosTokenId,
    });
  }

  /** Called after every step with what it did (benchmarks and tests observe the batch). */
  set onStep(observer: ((report: StepReport) => void) | null) {
    this.batch.onStep = observer;
  }

  /** KV-cache bytes allocated now. */
  get kvBytes(): number {
    return this.batch.kvBytes;
  }

  validate(request: GenerationRequest): string | null {
    const checked = this.prepare(request);
    return typeof checked === 'string' ? checked : null;
  }

  async generate(requests: GenerationRequest[]): Promise<GenerationOutput[]> {
    if (this.disposed) {
      throw new Error('the generation engine has been disposed');
    }
    if (requests.length > this.maxBatchSize) {
      throw new GenerationRequestError(
        `${requests.length} rows exceed the engine's maxBatchSize of ${this.maxBatchSize}`,
      );
    }
    const prompts: number[][] = [];
    const rowErrors = new Map<number, string>();
    requests.forEach((request, index) => {
      const checked = this.prepare(request);
      if (typeof checked === 'string') {
        rowErrors.set(index, checked);
      } else {
        prompts.push(checked);
      }
    });
    if (rowErrors.size > 0) {
      const details = [...rowErrors].map(([index, message]) => `row ${index}: ${message}`);
      throw new GenerationRequestError(
        `refused before generating: ${details.join('; ')}`,
        rowErrors,
      );
    }
    const context = {
      codec: this.parts.codec,
      eosTokenId: this.parts.eosTokenId,
      ignoreEos: this.parts.ignoreEos,
    };
    const rows = requests.map(
      (request, index) => new GenerationRow(index, request, prompts[index]!, context),
    );
    for (const row of rows) {
      this.batch.submit(row);
    }
    return Promise.all(rows.map((row) => row.done));
  }

  async dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      await this.batch.close(new Error('the generation engine has been disposed'));
      await this.parts.release();
    }
  }

  private prepare(request: GenerationRequest): number[] | string {
    return promptIdsOf(request, {
      codec: this.parts.codec,
      eosTokenId: this.parts.eosTokenId,
      maxPositions: this.maxPositions,
    });
  }
}
