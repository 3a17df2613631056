import { OpenAiError } from './openai-error.ts';

/**
 * The one model /openai/v1 serves. A request naming another model is refused with
 * OpenAI's own 404 model_not_found, naming the served id, instead of being answered by
 * GPT-2 anyway: code that asks for gpt-4o-mini and silently gets GPT-2 text would store
 * plausible-looking results under the wrong model's name, and the fix (one `model` value)
 * is easy once the error says what to write.
 */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export function modelObject(name: string, createdSeconds: number): ModelObject {
  return { id: name, object: 'model', created: createdSeconds, owned_by: 'warmgen' };
}

export function modelNotFound(requested: string, served: string, param: string): OpenAiError {
  return new OpenAiError(404, {
    message: `The model \`${requested}\` does not exist; this server serves \`${served}\``,
    code: 'model_not_found',
    param,
  });
}

export function assertServedModel(requested: string, served: string, param = 'model'): void {
  if (requested !== served) {
    throw modelNotFound(requested, served, param);
  }
}
