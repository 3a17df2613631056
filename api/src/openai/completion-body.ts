import { generationLimits } from '@warmgen/shared/domain/generation-params.ts';
import Type, { type Static } from 'typebox';
import type { ApiLimits } from '../api-limits.ts';
import { promptSchema } from '../schemas/generation-request.ts';

/** Prompts in one completions request (OpenAI takes more; each one here is a job). */
export const maxPromptsPerCompletion = 64;

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(
  schema: T,
  description?: string,
) => Type.Optional(Type.Union([schema, Type.Null()], description ? { description } : {}));

/**
 * The body of POST /openai/v1/completions, and of every line of a batch input file.
 * OpenAI's field names and ranges (temperature 0 to 2, at most 4 stop sequences). Fields
 * warmgen cannot honour are accepted only at their no-op value (n 1, best_of 1, echo
 * false, penalties 0, logprobs/logit_bias/suffix null), so a request that depends on them
 * gets a 400 naming the field instead of an answer that silently ignored it.
 */
export function completionBodySchema(limits: ApiLimits) {
  const prompt = promptSchema(limits);
  return Type.Object(
    {
      model: Type.String({ minLength: 1, description: 'Must be the served model (GET /models).' }),
      prompt: Type.Union([
        prompt,
        Type.Array(prompt, { minItems: 1, maxItems: maxPromptsPerCompletion }),
      ]),
      max_tokens: nullable(
        Type.Integer({ minimum: 1, maximum: generationLimits.maxNewTokens }),
        'Default 16, as OpenAI.',
      ),
      temperature: nullable(Type.Number({ minimum: 0, maximum: 2 }), '0 = greedy; default 1.'),
      top_p: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
      stop: nullable(
        Type.Union([
          Type.String({ minLength: 1, maxLength: generationLimits.maxStopSequenceChars }),
          Type.Array(
            Type.String({ minLength: 1, maxLength: generationLimits.maxStopSequenceChars }),
            { maxItems: generationLimits.maxStopSequences },
          ),
        ]),
      ),
      seed: nullable(Type.Integer({ minimum: 0, maximum: generationLimits.maxSeed })),
      n: nullable(Type.Literal(1), 'Only 1.'),
      best_of: nullable(Type.Literal(1), 'Only 1.'),
      echo: nullable(Type.Literal(false), 'Only false.'),
      frequency_penalty: nullable(Type.Literal(0), 'Only 0.'),
      presence_penalty: nullable(Type.Literal(0), 'Only 0.'),
      logprobs: nullable(Type.Literal(0), 'Not supported: null or 0.'),
      logit_bias: Type.Optional(Type.Null()),
      suffix: Type.Optional(Type.Null()),
      stream: nullable(
        Type.Boolean(),
        'true: server-sent chunks, then `data: [DONE]` (not in a batch).',
      ),
      stream_options: nullable(
        Type.Object(
          { include_usage: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        'include_usage: a last chunk with the usage and no choices.',
      ),
      user: Type.Optional(Type.String({ maxLength: 256 })),
    },
    { additionalProperties: false },
  );
}

export type CompletionBody = Static<ReturnType<typeof completionBodySchema>>;
