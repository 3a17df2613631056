import Type, { type Static } from 'typebox';
import type { ApiLimits } from '../api-limits.ts';
import {
  batchWebhookEvents,
  customIdSchema,
  webhookSchema,
  webhookUrlSchema,
} from './common-schemas.ts';
import { OptionalParamsSchema, promptSchema } from './generation-request.ts';

const defaultBatchEvents = ['batch.completed'] as const;
export const BatchWebhookSchema = webhookSchema(batchWebhookEvents, defaultBatchEvents);
export const defaultBatchWebhookEvents: readonly string[] = defaultBatchEvents;

export function batchItemSchema(limits: ApiLimits) {
  return Type.Object(
    {
      custom_id: customIdSchema,
      prompt: promptSchema(limits),
      params: Type.Optional(OptionalParamsSchema),
    },
    { additionalProperties: false },
  );
}
export type BatchItem = Static<ReturnType<typeof batchItemSchema>>;

export function createBatchBodySchema(limits: ApiLimits) {
  return Type.Object(
    {
      items: Type.Array(batchItemSchema(limits), {
        minItems: 1,
        maxItems: limits.maxBatchItems,
        description: `1 to ${limits.maxBatchItems} items, each with a unique custom_id.`,
      }),
      webhook: Type.Optional(BatchWebhookSchema),
    },
    { additionalProperties: false },
  );
}

/** GET /v1/batches/{id}/results: which order the lines come in. */
export const ResultsQuerySchema = Type.Object(
  {
    order: Type.Optional(
      Type.Union([Type.Literal('custom_id'), Type.Literal('input')], {
        default: 'custom_id',
        description: 'custom_id (sorted, the default) or input (as submitted).',
      }),
    ),
  },
  { additionalProperties: false },
);

/** A JSONL upload has no envelope, so its webhook, if any, comes in the query string. */
export const BatchQuerySchema = Type.Object(
  {
    webhook_url: Type.Optional(webhookUrlSchema),
    webhook_events: Type.Optional(
      Type.String({
        description: `Comma-separated events (JSONL uploads only): ${batchWebhookEvents.join(', ')}.`,
      }),
    ),
  },
  { additionalProperties: false },
);
