import { generationParamsProblem } from '@warmgen/shared/domain/generation-params.ts';
import type { GenerationRequest } from './generation-engine.ts';
import type { TextCodec } from './text-codec.ts';

/**
 * Checks a row before any compute. The parameters go through the same schema the API
 * validates with (a bad value would otherwise surface as NaN logits or an onnxruntime
 * "index out of bounds" mid-batch); then the one limit only the model knows: prompt +
 * max_new_tokens must fit in n_positions.
 */
export function checkLength(
  promptTokens: number,
  maxNewTokens: number,
  maxPositions: number,
): string | null {
  if (promptTokens + maxNewTokens <= maxPositions) {
    return null;
  }
  if (promptTokens >= maxPositions) {
    return `prompt is ${promptTokens} tokens; the model has ${maxPositions} positions, so it must be at most ${maxPositions - 1} tokens`;
  }
  return `prompt (${promptTokens} tokens) + max_new_tokens (${maxNewTokens}) exceeds the model's ${maxPositions} positions: lower max_new_tokens to at most ${maxPositions - promptTokens} or shorten the prompt`;
}

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
  return checkLength(ids.length, request.params.max_new_tokens, model.maxPositions) ?? ids;
}
