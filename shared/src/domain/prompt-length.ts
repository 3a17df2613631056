/**
 * The one limit only the model knows: a prompt's tokens plus max_new_tokens must fit in
 * its positions (config.json `n_positions`, 1,024 for GPT-2). The API refuses a request
 * past it at submit and the worker checks every row again before compute; both decide it
 * here, counting with the model folder's own tokenizer.
 */
export interface PromptTokens {
  /** n_positions of the model. */
  readonly maxPositions: number;
  /** Tokens the model is fed for this prompt: an empty prompt is one <|endoftext|>. */
  count(prompt: string): number;
}

/** Tokens fed for a prompt the tokenizer split into `encoded` tokens (at least one). */
export function fedTokens(encoded: number): number {
  return Math.max(encoded, 1);
}

/** How the caller names the two fields in its messages (the OpenAI surface says max_tokens). */
export interface PromptLengthFields {
  prompt: string;
  maxNewTokens: string;
}

const nativeFields: PromptLengthFields = { prompt: 'prompt', maxNewTokens: 'max_new_tokens' };

/** Why prompt + max_new_tokens does not fit, or null when it does. */
export function promptLengthProblem(
  promptTokens: number,
  maxNewTokens: number,
  maxPositions: number,
  fields: PromptLengthFields = nativeFields,
): string | null {
  if (promptTokens + maxNewTokens <= maxPositions) {
    return null;
  }
  if (promptTokens >= maxPositions) {
    return `${fields.prompt} is ${promptTokens} tokens; the model has ${maxPositions} positions, so it must be at most ${maxPositions - 1} tokens`;
  }
  return `${fields.prompt} (${promptTokens} tokens) + ${fields.maxNewTokens} (${maxNewTokens}) exceeds the model's ${maxPositions} positions: lower ${fields.maxNewTokens} to at most ${maxPositions - promptTokens} or shorten the prompt`;
}

/**
 * The same check for a prompt not yet tokenized. Byte-level BPE never makes more tokens
 * than the prompt has UTF-8 bytes, so a prompt whose bytes already fit is not tokenized
 * at all: most requests cost a byte count, not an encode.
 */
export function promptFitProblem(
  tokens: PromptTokens,
  prompt: string,
  maxNewTokens: number,
  fields: PromptLengthFields = nativeFields,
): string | null {
  if (fedTokens(Buffer.byteLength(prompt)) + maxNewTokens <= tokens.maxPositions) {
    return null;
  }
  return promptLengthProblem(tokens.count(prompt), maxNewTokens, tokens.maxPositions, fields);
}
