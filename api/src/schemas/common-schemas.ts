import { generationEventTypes, webhookEventTypes } from '@warmgen/shared/domain/webhook-event.ts';
import Type from 'typebox';
import { customIdMaxChars, idempotencyKeyMaxChars } from '../api-limits.ts';
import { registerPatternMessage } from './validation-messages.ts';

/** Job and batch ids: what the id generator makes (UUIDs by default), nothing exotic. */
const idPattern = registerPatternMessage(
  '^[A-Za-z0-9_-]{1,64}$',
  'must be an id of 1 to 64 letters, digits, "-" or "_"',
);
export const IdParamsSchema = Type.Object(
  { id: Type.String({ pattern: idPattern, description: 'Job or batch id.' }) },
  { additionalProperties: false },
);

const httpUrlPattern = registerPatternMessage(
  '^https?://[^\\s/?#]+([/?#]\\S*)?$',
  'must be an http or https URL',
);
export const webhookUrlSchema = Type.String({
  format: 'uri',
  pattern: httpUrlPattern,
  maxLength: 2048,
  description: 'http or https URL called when one of the events happens.',
});

/**
 * Events a webhook can ask for (see shared/src/domain/webhook-event.ts). A batch's webhook
 * may also ask for its items' generation.* events (one request per item).
 */
export const jobWebhookEvents = generationEventTypes;
export const batchWebhookEvents = webhookEventTypes;

export function webhookSchema(events: readonly string[], defaultEvents: readonly string[]) {
  return Type.Object(
    {
      url: webhookUrlSchema,
      events: Type.Optional(
        Type.Array(Type.Enum([...events]), {
          minItems: 1,
          uniqueItems: true,
          default: [...defaultEvents],
          description: `Defaults to ${defaultEvents.join(', ')}.`,
        }),
      ),
    },
    { additionalProperties: false },
  );
}

const idempotencyKeyPattern = registerPatternMessage(
  `^[\\x21-\\x7E]{1,${idempotencyKeyMaxChars}}$`,
  `must be 1 to ${idempotencyKeyMaxChars} visible ASCII characters`,
);
export const BatchSubmitHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      pattern: idempotencyKeyPattern,
      description:
        'Retries with the same key and items return the same batch; the same key with other items is a 409.',
    }),
  ),
});

export const SubmitHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      pattern: idempotencyKeyPattern,
      description:
        'Retries with the same key and body return the same job; the same key with another body is a 409.',
    }),
  ),
  prefer: Type.Optional(
    Type.String({
      description: '`wait=N` holds the response up to N seconds (capped) for the finished job.',
    }),
  ),
});

export const customIdSchema = Type.String({
  minLength: 1,
  maxLength: customIdMaxChars,
  description: 'Caller-chosen id, unique within the batch; results come back sorted by it.',
});

export function waitQuerySchema(maxWaitSeconds: number) {
  return Type.Object(
    {
      wait: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: maxWaitSeconds,
          description:
            'Long-poll: answer as soon as the job is finished or after this many seconds.',
        }),
      ),
    },
    { additionalProperties: false },
  );
}
