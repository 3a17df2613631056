import type { GenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { GenerationRequest } from './generation-engine.ts';
import type { TextCodec } from './text-codec.ts';

/**
 * Checks a row before any compute. The API validates parameters against the shared schema
 * at the edge; the engine re-checks what would make it misbehave (a bad value would
 * otherwise surface as NaN logits or an onnxruntime "index out of bounds" mid-batch), and
 * the one limit only the model knows: prompt + max_new_tokens must fit in n_positions.
 */
export function checkParams(params: GenerationParams): string | null {
  const { max_new_tokens, temperature, top_k, top_p, repetition_penalty, stop, seed } = params;
  if (!Number.isInteger(max_new_tokens) || max_new_tokens < 1) {
    return `max_new_tokens must be an integer >= 1, got ${max_new_tokens}`;
  }
  if (!Number.isFinite(temperature) || temperature < 0) {
    return `temperature must be a number >= 0, got ${temperature}`;
  }
  if (!Number.isInteger(top_k) || top_k < 0) {
    return `top_k must be an integer >= 0, got ${top_k}`;
  }
  if (!Number.isFinite(top_p) || top_p <= 0 || top_p > 1) {
    return `top_p must be in (0, 1], got ${top_p}`;
  }
  if (!Number.isFinite(repetition_penalty) || repetition_penalty <= 0) {
    return `repetition_penalty must be a number > 0, got ${repetition_penalty}`;
  }
  if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s.length === 0)) {
    return 'stop must be a list of non-empty strings';
  }
  if (seed !== null && (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1)) {
    return `seed must be null or an integer in 0..4294967295, got ${seed}`;
  }
  return null;
}

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
  const problem = checkParams(request.params);
  if (problem) {
    return problem;
  }
  const encoded = model.codec.encode(request.prompt);
  const ids = encoded.length > 0 ? encoded : [model.eosTokenId];
  return checkLength(ids.length, request.params.max_new_tokens, model.maxPositions) ?? ids;
}
