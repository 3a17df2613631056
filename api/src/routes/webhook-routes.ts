import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  toWebhookDeliveryView,
  WebhookDeliveryViewSchema,
} from '@warmgen/shared/views/webhook-delivery-view.ts';
import { ApiError } from '../api-error.ts';
import { callerOf, canAccess } from '../auth/caller.ts';
import { IdParamsSchema } from '../schemas/common-schemas.ts';
import { errorResponses } from '../schemas/error-schema.ts';
import type { RouteContext } from './route-context.ts';

/**
 * POST /v1/generations/:id/webhook/redeliver and POST /v1/batches/:id/webhook/redeliver:
 * send a job's or batch's event again, from the first step of the retry schedule, with the
 * same webhook-id and body. For a dead-lettered event (state failed) after the receiver is
 * fixed, or to have a delivered one sent once more.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const description =
    'Restarts delivery of the event (same webhook-id and body) from the first step of the retry schedule. ' +
    '202 with the delivery state; 409 when there is no event to send (no webhook, not finished yet, an event it did not ask for) or an attempt is in flight.';
  const schema = (summary: string, operationId: string) => ({
    summary,
    operationId,
    description,
    tags: ['webhooks'],
    params: IdParamsSchema,
    response: { 202: WebhookDeliveryViewSchema, ...errorResponses },
  });

  async function redeliver(subjectId: string, what: string) {
    if (ctx.events === null) {
      throw new ApiError('unavailable', 'webhook delivery is not configured on this server');
    }
    const outcome = await ctx.events.redeliver(subjectId, ctx.now());
    if (outcome === null) {
      throw new ApiError(
        'conflict',
        `${what} has no webhook event to redeliver (no webhook, not finished yet, or its event was not subscribed to)`,
      );
    }
    if (!outcome.restarted) {
      throw new ApiError(
        'conflict',
        `${what}: a delivery attempt is in flight; retry when it has finished`,
      );
    }
    return toWebhookDeliveryView(outcome.event);
  }

  app.post(
    '/v1/generations/:id/webhook/redeliver',
    { schema: schema("Redeliver a job's webhook event", 'redeliverGenerationWebhook') },
    async (request, reply) => {
      const { id } = request.params;
      const job = await ctx.store.getJob(id);
      if (job === null || !canAccess(callerOf(request), job)) {
        throw new ApiError('not_found', `generation ${id} does not exist`);
      }
      return reply.code(202).send(await redeliver(id, `generation ${id}`));
    },
  );

  app.post(
    '/v1/batches/:id/webhook/redeliver',
    { schema: schema("Redeliver a batch's batch.completed event", 'redeliverBatchWebhook') },
    async (request, reply) => {
      const { id } = request.params;
      const batch = await ctx.store.getBatch(id);
      if (batch === null || !canAccess(callerOf(request), batch)) {
        throw new ApiError('not_found', `batch ${id} does not exist`);
      }
      return reply.code(202).send(await redeliver(id, `batch ${id}`));
    },
  );
};
