import type { OpenAiStores } from '@warmgen/shared/ports/openai-batch-store.ts';
import type { OpenAiContext } from './openai-context.ts';
import { OpenAiError } from './openai-error.ts';

/** The Files and Batches stores, or the 503 of a backend that has none yet. */
export function storesOf(ctx: OpenAiContext): OpenAiStores {
  if (ctx.stores === null) {
    throw new OpenAiError(503, {
      message:
        'files and batches are not available on this backend yet (the embedded backend has them)',
      code: 'unavailable',
    });
  }
  return ctx.stores;
}
