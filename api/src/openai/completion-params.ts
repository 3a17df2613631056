import {
  type GenerationParams,
  resolveGenerationParams,
} from '@warmgen/shared/domain/generation-params.ts';
import type { CompletionBody } from './completion-body.ts';

/** The body's names for the prompt length check's two fields. */
export const openAiFieldPaths = { prompt: 'prompt', maxNewTokens: 'max_tokens' };

/** OpenAI's default for the legacy completions endpoint. */
export const defaultMaxTokens = 16;

/** An OpenAI completion body's sampling fields as warmgen generation params. */
export function completionParams(body: CompletionBody): GenerationParams {
  const stop = body.stop ?? [];
  return resolveGenerationParams({
    max_new_tokens: body.max_tokens ?? defaultMaxTokens,
    temperature: body.temperature ?? 1,
    top_p: body.top_p ?? 1,
    stop: typeof stop === 'string' ? [stop] : stop,
    seed: body.seed ?? null,
  });
}

/** The prompts of a body, one job each, in order. */
export function promptsOf(body: CompletionBody): string[] {
  return typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
}
