import { type DecodeSettings, decodeBatch, type ForwardPass } from './batched-decode.ts';
import type { GenerationEngine, GenerationOutput, GenerationRequest } from './generation-engine.ts';
import { GenerationRequestError } from './generation-request-error.ts';
import { GenerationRow } from './generation-row.ts';
import { promptIdsOf } from './request-check.ts';
import type { TextCodec } from './text-codec.ts';
import { TokenSampler } from './token-sampler.ts';

export interface Gpt2EngineParts {
  forward: ForwardPass;
  codec: TextCodec;
  maxBatchSize: number;
  maxPositions: number;
  vocabSize: number;
  /** <|endoftext|>: ends a row, pads the batch, and stands in for an empty prompt. */
  eosTokenId: number;
  ignoreEos: boolean;
  /** Bounds the prefill logits of one forward pass (see batch-plan.ts). */
  prefillLogitsBytes: number;
  /** Bounds the KV cache one forward pass produces (see batch-plan.ts). */
  kvBytesPerPass: number;
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
 */
export class Gpt2GenerationEngine implements GenerationEngine {
  readonly maxBatchSize: number;
  readonly maxPositions: number;
  private readonly parts: Gpt2EngineParts;
  private readonly sampler: TokenSampler;
  private disposed = false;

  constructor(parts: Gpt2EngineParts) {
    this.parts = parts;
    this.maxBatchSize = parts.maxBatchSize;
    this.maxPositions = parts.maxPositions;
    this.sampler = new TokenSampler(parts.vocabSize);
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
    if (requests.length === 0) {
      return [];
    }

    const startedAtMs = performance.now();
    const context = {
      codec: this.parts.codec,
      eosTokenId: this.parts.eosTokenId,
      ignoreEos: this.parts.ignoreEos,
      startedAtMs,
    };
    const rows = requests.map(
      (request, index) => new GenerationRow(index, request, prompts[index]!, context),
    );
    const { layout } = this.parts.forward;
    const settings: DecodeSettings = {
      padTokenId: this.parts.eosTokenId,
      prefillLogitsBytes: this.parts.prefillLogitsBytes,
      vocabSize: this.parts.vocabSize,
      kvBytesPerPass: this.parts.kvBytesPerPass,
      kvBytesPerRowColumn: layout.pastNames.length * layout.nHead * layout.headDim * 4,
    };
    await decodeBatch(this.parts.forward, rows, this.sampler, settings);
    return rows.map((row) => row.output());
  }

  async dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
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
