import {
  type PromptLengthFields,
  type PromptTokens,
  promptFitProblem,
} from '@warmgen/shared/domain/prompt-length.ts';
import { ApiError } from './api-error.ts';
import { dottedPath } from './openai/openai-error.ts';

/**
 * The model's prompt counter as the routes see it: null where the API has no tokenizer
 * (before `npm start` has its model folder; an API alone on the built-in stand-in, whose
 * folder only its workers build). Then the worker's own check fails such a job instead.
 */
export type PromptTokensOf = () => PromptTokens | null;

export interface PromptToCheck {
  prompt: string;
  maxNewTokens: number;
  /** Where the item is: `body`, `body/items/3`, `line 4`. */
  where: string;
  /** The prompt's own path under `where`, when it is not `prompt` (`prompt/1`). */
  promptPath?: string;
}

/** The field names of the native routes: `prompt` and `params/max_new_tokens`. */
export const nativeFieldPaths = { prompt: 'prompt', maxNewTokens: 'params/max_new_tokens' };

/**
 * Refuses, before anything is written, the first request whose prompt + max_new_tokens is
 * past the model's positions: a 400 whose details name both fields, so the caller can
 * shorten either. The worker would otherwise accept it and fail it later.
 */
export function assertPromptsFit(
  tokens: PromptTokens | null,
  checks: Iterable<PromptToCheck>,
  paths: PromptLengthFields = nativeFieldPaths,
): void {
  if (tokens === null) {
    return;
  }
  for (const check of checks) {
    const promptPath = check.promptPath ?? paths.prompt;
    const problem = promptFitProblem(tokens, check.prompt, check.maxNewTokens, {
      prompt: dotted(promptPath),
      maxNewTokens: dotted(paths.maxNewTokens),
    });
    if (problem !== null) {
      const place = check.where === 'body' ? '' : `${dotted(check.where.replace(/^body\//, ''))}: `;
      const message = `${place}${problem}`;
      throw new ApiError('validation_failed', message, [
        { field: `${check.where}/${promptPath}`, message: problem },
        { field: `${check.where}/${paths.maxNewTokens}`, message: problem },
      ]);
    }
  }
}

/** A path as messages write it: `params/max_new_tokens` -> `params.max_new_tokens`, `items/3` -> `items[3]`. */
function dotted(path: string): string {
  return dottedPath(path.split('/'));
}
