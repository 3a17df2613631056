import { GenerationParamsSchema } from '@warmgen/shared/domain/generation-params.ts';
import Type, { type Static } from 'typebox';
import type { ApiLimits } from '../api-limits.ts';
import { jobWebhookEvents, webhookSchema } from './common-schemas.ts';

/** Every field of the generation params is optional on the wire; defaults fill the rest. */
export const OptionalParamsSchema = Type.Partial(GenerationParamsSchema, {
  additionalProperties: false,
  description: 'Sampling parameters; any left out take their defaults.',
});

export function promptSchema(limits: ApiLimits) {
  return Type.String({
    minLength: 1,
    maxLength: limits.maxPromptChars,
    description: `Text to continue: 1 to ${limits.maxPromptChars} characters.`,
  });
}

export const JobWebhookSchema = webhookSchema(jobWebhookEvents, jobWebhookEvents);
export type WebhookInput = Static<typeof JobWebhookSchema>;

export function createGenerationBodySchema(limits: ApiLimits) {
  return Type.Object(
    {
      prompt: promptSchema(limits),
      params: Type.Optional(OptionalParamsSchema),
      webhook: Type.Optional(JobWebhookSchema),
      stream: Type.Optional(
        Type.Boolean({
          description:
            "true: the response is the job's SSE stream (as GET /v1/generations/{id}/stream) instead of its JSON view.",
        }),
      ),
    },
    { additionalProperties: false },
  );
}
