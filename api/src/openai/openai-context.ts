import type { OpenAiConfig } from '@warmgen/shared/config/openai-config.ts';
import type { OpenAiStores } from '@warmgen/shared/ports/openai-batch-store.ts';
import type { RouteContext } from '../routes/route-context.ts';

/** What the /openai/v1 route plugins receive: the native context plus this surface's settings. */
export interface OpenAiContext extends RouteContext {
  openai: OpenAiConfig;
  /** When this API started, as `created` of the model object (epoch seconds). */
  startedAtSeconds: number;
  /** Files and batch records; null where the backend has none (those routes answer 503). */
  stores: OpenAiStores | null;
}
