import type { OpenAiConfig } from '@warmgen/shared/config/openai-config.ts';
import type { RouteContext } from '../routes/route-context.ts';

/** What the /openai/v1 route plugins receive: the native context plus this surface's settings. */
export interface OpenAiContext extends RouteContext {
  openai: OpenAiConfig;
  /** When this API started, as `created` of the model object (epoch seconds). */
  startedAtSeconds: number;
}
