import { generationParamsProblem } from '@warmgen/shared/domain/generation-params.ts';
import { promptLengthProblem } from '@warmgen/shared/domain/prompt-length.ts';
import type { GenerationRequest } from './generation-engine.ts';
import type { TextCodec } from './text-codec.ts';

/**
 * Checks a row before any compute. The parameters go through the same schema the API
 * validates with (a bad value would otherwise surface as NaN logits or an onnxruntime
 * "index out of bounds" mid-batch); then the one limit only the model knows, decided in
 * shared/src/domain/prompt-length.ts (the API refuses the same rows at submit).
 */
export interface ModelLimits {
  codec: TextCodec;
  /** <|endoftext|>: stands in for an empty prompt. */
  eosTokenId: number;
  maxPositions: number;
}

/**
 * The row's prompt token ids, or why it cannot run. An empty prompt is fed as a single
 * <|endoftext|> (GPT-2 needs at least one token, and that is the token it saw between
 * documents in training).
 */
export function promptIdsOf(request: GenerationRequest, model: ModelLimits): number[] | string {
  const problem = generationParamsProblem(request.params);
  if (problem) {
    return problem;
  }
  const encoded = model.codec.encode(request.prompt);
  const ids = encoded.length > 0 ? encoded : [model.eosTokenId];
  return promptLengthProblem(ids.length, request.params.max_new_tokens, model.maxPositions) ?? ids;
}
