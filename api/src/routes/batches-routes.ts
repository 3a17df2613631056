import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withSettledUsage } from '@warmgen/shared/batches/settle-batch-usage.ts';
import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { Batch, NewJob, StatusCounts, WebhookSpec } from '@warmgen/shared/domain/job.ts';
import { generationEventTypes } from '@warmgen/shared/domain/webhook-event.ts';
import { traceIdOf } from '@warmgen/shared/logging/cloud-trace.ts';
import {
  BatchResultLineSchema,
  BatchViewSchema,
  toBatchView,
} from '@warmgen/shared/views/batch-view.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.ts';
import { callerOf, canAccess } from '../auth/caller.ts';
import { submissionRateLimit } from '../auth/install-rate-limit.ts';
import { idempotentBatchId, isSameBatchSubmission } from '../batch-idempotency.ts';
import {
  createBatchJsonlParser,
  duplicateError,
  findDuplicateCustomId,
} from '../batch-jsonl-parser.ts';
import { batchResultsStream } from '../batch-results-stream.ts';
import { assertPromptsFit } from '../prompt-fit.ts';
import { publishAccepted } from '../publish-accepted.ts';
import { retryBatchAndPublish, retryRefusalMessage } from '../retry-batch.ts';
import {
  BatchQuerySchema,
  createBatchBodySchema,
  defaultBatchWebhookEvents,
  ResultsQuerySchema,
} from '../schemas/batch-request.ts';
import {
  BatchSubmitHeadersSchema,
  batchWebhookEvents,
  IdParamsSchema,
} from '../schemas/common-schemas.ts';
import { errorResponses } from '../schemas/error-schema.ts';
import { assertUtf8Charset, decodeUtf8Strict } from '../strict-utf8.ts';
import { deliveryOf } from '../webhook-delivery-of.ts';
import { assertWebhookUrlAllowed } from '../webhook-url-guard.ts';
import type { RouteContext } from './route-context.ts';

const jsonlMediaTypes = ['application/jsonl', 'application/x-ndjson'];

/**
 * POST /v1/batches, GET /v1/batches/:id, GET /v1/batches/:id/results,
 * POST /v1/batches/:id/cancel, POST /v1/batches/:id/retry.
 */
export const batchesRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const { store, queue, limits, metrics } = ctx;
  const tags = ['batches'];

  // JSONL is accepted only in this scope: elsewhere it is a 415.
  const parseJsonl = createBatchJsonlParser(limits, ctx.promptTokens);
  app.addContentTypeParser(jsonlMediaTypes, { parseAs: 'buffer' }, (request, body, done) => {
    try {
      assertUtf8Charset(request.headers['content-type']);
      const buffer = body as Buffer;
      if (buffer.length === 0) {
        throw new ApiError('empty_body', 'request body is empty; send one JSON object per line');
      }
      done(null, parseJsonl(decodeUtf8Strict(buffer)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.post(
    '/v1/batches',
    {
      config: submissionRateLimit,
      schema: {
        summary: 'Submit a batch',
        operationId: 'createBatch',
        description:
          'Either `application/json` `{items, webhook?}` or a JSONL upload (`application/jsonl` or ' +
          '`application/x-ndjson`, one BatchItem object per line; its webhook goes in `webhook_url`/`webhook_events`, ' +
          'which a JSON batch refuses with a 400). ' +
          `Up to ${limits.maxBatchItems} items with unique custom_id. All jobs are recorded together, then queued. ` +
          'With `Idempotency-Key`, a retry of the same items answers with the batch the first attempt made ' +
          '(`Idempotent-Replayed: true`, nothing queued twice).',
        tags,
        consumes: ['application/json', ...jsonlMediaTypes],
        body: createBatchBodySchema(limits),
        querystring: BatchQuerySchema,
        headers: BatchSubmitHeadersSchema,
        response: { 202: BatchViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // Defaults filled in once: the length check and the stored jobs see the same params.
      const items = request.body.items.map((item) => ({
        ...item,
        params: resolveGenerationParams(item.params ?? {}),
      }));
      const isJsonl = jsonlMediaTypes.some((t) => request.headers['content-type']?.startsWith(t));
      if (!isJsonl) {
        // JSONL uploads were checked line by line by their parser already.
        const duplicate = findDuplicateCustomId(items);
        if (duplicate) {
          throw duplicateError(
            `body/items/${duplicate.index}`,
            `body/items/${duplicate.firstIndex}`,
            duplicate.customId,
          );
        }
        assertPromptsFit(
          ctx.promptTokens(),
          items.map((item, index) => ({
            prompt: item.prompt,
            maxNewTokens: item.params.max_new_tokens,
            where: `body/items/${index}`,
          })),
        );
      }
      const webhook = batchWebhook(request.body.webhook, request.query, isJsonl);
      if (webhook !== null) {
        const field = isJsonl ? 'querystring/webhook_url' : 'body/webhook/url';
        await assertWebhookUrlAllowed(ctx.webhookGuard, webhook.url, field);
      }
      const { owner } = callerOf(request);
      const key = request.headers['idempotency-key'] ?? null;
      const nowMs = ctx.now();
      const batch: Batch = {
        id: key === null ? ctx.newId('batch') : idempotentBatchId(owner, key),
        createdAtMs: nowMs,
        itemCount: items.length,
        webhook,
        cancelRequested: false,
        owner,
      };
      const itemWebhook = itemWebhookOf(webhook);
      const traceId = traceIdOf(request.headers);
      const jobs: NewJob[] = items.map((item, inputIndex) => ({
        id: ctx.newId('job'),
        prompt: item.prompt,
        params: item.params,
        batchId: batch.id,
        customId: item.custom_id,
        // Items carry the batch's webhook only when it asked for per-item events.
        webhook: itemWebhook,
        idempotencyKey: null,
        createdAtMs: nowMs,
        owner,
        inputIndex,
        traceId,
      }));

      const attempted = { batch, jobs };
      if (key !== null) {
        const stored = await store.getBatch(batch.id);
        if (stored !== null) {
          return replay(stored, attempted, key, reply);
        }
      }
      try {
        await store.createBatch(attempted);
      } catch (error) {
        // Another attempt under the same key won the race for the id: answer as its retry.
        const stored = key === null ? null : await store.getBatch(batch.id);
        if (stored === null || key === null) {
          throw error;
        }
        return replay(stored, attempted, key, reply);
      }
      await publishAccepted(
        jobs.map((job) => job.id),
        { store, queue, now: ctx.now, log: request.log, chunkSize: ctx.publishChunkSize },
      );
      metrics.countSubmitted('batch', jobs.length);

      const counts: StatusCounts = {
        queued: jobs.length,
        running: 0,
        succeeded: 0,
        failed: 0,
        canceled: 0,
      };
      reply.header('location', `/v1/batches/${batch.id}`);
      return reply.code(202).send(toBatchView(batch, counts, null));
    },
  );

  app.get(
    '/v1/batches/:id',
    {
      schema: {
        summary: 'Get a batch: its status and job counts by status',
        operationId: 'getBatch',
        description:
          '`status` is in_progress, canceling, completed or canceled; `counts` has every job status. ' +
          '`webhook_delivery` shows the batch.completed event and its attempts.',
        tags,
        params: IdParamsSchema,
        response: { 200: BatchViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const found = await getBatchOr404(request);
      const counts = await store.countBatchJobs(found.id);
      const batch = await withSettledUsage(store, found, counts, ctx.resultsPageSize);
      return toBatchView(batch, counts, await deliveryOf(ctx, batch));
    },
  );

  app.get(
    '/v1/batches/:id/results',
    {
      schema: {
        summary: 'Stream a batch’s results as JSONL, one line per item',
        operationId: 'getBatchResults',
        description:
          'Readable while the batch runs: items not finished yet appear with their current status and null ' +
          'result. In custom_id order, or with `?order=input` in the order the items were submitted.',
        tags,
        params: IdParamsSchema,
        querystring: ResultsQuerySchema,
        response: {
          200: { content: { 'application/jsonl': { schema: BatchResultLineSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const batch = await getBatchOr404(request);
      const stream = batchResultsStream(
        store,
        batch.id,
        ctx.resultsPageSize,
        request.query.order ?? 'custom_id',
      );
      // The route schema has one line's shape (openapi-document.ts types the body as lines);
      // the type provider cannot know a stream carries many.
      return reply.type('application/jsonl; charset=utf-8').send(stream as never);
    },
  );

  app.post(
    '/v1/batches/:id/cancel',
    {
      schema: {
        summary: 'Cancel a batch',
        operationId: 'cancelBatch',
        description:
          'Queued jobs are canceled at once; running ones stop at their next decode step. 409 when every job has finished.',
        tags,
        params: IdParamsSchema,
        response: { 200: BatchViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const batch = await getBatchOr404(request);
      const changed = await store.cancelBatch({ batchId: batch.id, nowMs: ctx.now() });
      const counts = await store.countBatchJobs(batch.id);
      if (changed === 0 && counts.queued + counts.running === 0) {
        throw new ApiError(
          'conflict',
          `batch ${batch.id} has already finished and cannot be canceled`,
        );
      }
      const after = (await store.getBatch(batch.id)) ?? batch;
      return toBatchView({ ...after, cancelRequested: true }, counts, await deliveryOf(ctx, after));
    },
  );

  app.post(
    '/v1/batches/:id/retry',
    {
      config: submissionRateLimit,
      schema: {
        summary: 'Retry the failed and canceled items of a finished batch',
        operationId: 'retryBatch',
        description:
          'A new attempt of every item that failed or was canceled, with the same custom_id, prompt and params; ' +
          'succeeded items keep their results. The batch goes back to in_progress, `retries` counts up, its usage ' +
          'is summed again at the end, and its webhook fires batch.completed again (a new event id) when the last ' +
          'retried item ends. 409 while any item is queued or running, or when none failed or was canceled.',
        tags,
        params: IdParamsSchema,
        response: { 202: BatchViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const batch = await getBatchOr404(request);
      const retry = await retryBatchAndPublish(batch.id, {
        store,
        queue,
        metrics,
        now: ctx.now,
        log: request.log,
        chunkSize: ctx.publishChunkSize,
      });
      if ('refused' in retry) {
        throw new ApiError(
          retry.refused === 'not_found' ? 'not_found' : 'conflict',
          retryRefusalMessage(batch.id, retry.refused),
        );
      }
      const counts = await store.countBatchJobs(batch.id);
      reply.header('location', `/v1/batches/${batch.id}`);
      return reply
        .code(202)
        .send(toBatchView(retry.retried, counts, await deliveryOf(ctx, retry.retried)));
    },
  );

  /**
   * The answer to a retry under an Idempotency-Key: the batch as it is now. Nothing is
   * published again: jobs written by an attempt that died before publishing are found by
   * the orphan sweeper (listUnpublished), as every accepted job is.
   */
  async function replay(
    stored: Batch,
    attempted: { batch: Batch; jobs: NewJob[] },
    key: string,
    reply: FastifyReply,
  ) {
    if (!(await isSameBatchSubmission(store, stored, attempted, ctx.resultsPageSize))) {
      throw new ApiError(
        'idempotency_key_reused',
        `Idempotency-Key "${key}" was already used for batch ${stored.id} with other items; use a new key for a new batch`,
      );
    }
    const counts = await store.countBatchJobs(stored.id);
    reply.header('idempotent-replayed', 'true');
    reply.header('location', `/v1/batches/${stored.id}`);
    return reply.code(202).send(toBatchView(stored, counts, await deliveryOf(ctx, stored)));
  }

  /** The batch named in the path, if it exists and the caller may see it. */
  async function getBatchOr404(request: FastifyRequest<{ Params: { id: string } }>) {
    const { id } = request.params;
    const batch = await store.getBatch(id);
    if (batch === null || !canAccess(callerOf(request), batch)) {
      throw new ApiError('not_found', `batch ${id} does not exist`);
    }
    return batch;
  }
};

/** The part of a batch's webhook its items send: their own generation.* events, if asked. */
function itemWebhookOf(webhook: WebhookSpec | null): WebhookSpec | null {
  const known: readonly string[] = generationEventTypes;
  const events = webhook?.events.filter((event) => known.includes(event)) ?? [];
  return webhook === null || events.length === 0 ? null : { url: webhook.url, events };
}

function batchWebhook(
  bodyWebhook: { url: string; events?: string[] } | undefined,
  query: { webhook_url?: string; webhook_events?: string },
  isJsonl: boolean,
): WebhookSpec | null {
  if (!isJsonl) {
    // Refused rather than ignored: a webhook the caller asked for must not vanish (202 with
    // "webhook": null). A JSON batch carries its webhook in the body.
    const field = query.webhook_url !== undefined ? 'webhook_url' : 'webhook_events';
    if (query[field] !== undefined) {
      throw new ApiError(
        'validation_failed',
        `querystring/${field} is for JSONL uploads only; put webhook in the JSON body`,
        [{ field: `querystring/${field}`, message: 'is for JSONL uploads only' }],
      );
    }
    return bodyWebhook
      ? { url: bodyWebhook.url, events: bodyWebhook.events ?? [...defaultBatchWebhookEvents] }
      : null;
  }
  if (query.webhook_url === undefined) {
    if (query.webhook_events !== undefined) {
      throw new ApiError('validation_failed', 'querystring/webhook_events needs webhook_url', [
        { field: 'querystring/webhook_events', message: 'needs webhook_url' },
      ]);
    }
    return null;
  }
  const events =
    query.webhook_events === undefined
      ? [...defaultBatchWebhookEvents]
      : [...new Set(query.webhook_events.split(',').map((e) => e.trim()))];
  const known: readonly string[] = batchWebhookEvents;
  const unknown = events.filter((e) => !known.includes(e));
  if (unknown.length > 0 || events.length === 0) {
    throw new ApiError(
      'validation_failed',
      `querystring/webhook_events has unknown events (${unknown.join(', ')}); known: ${known.join(', ')}`,
      [{ field: 'querystring/webhook_events', message: 'has unknown events' }],
    );
  }
  return { url: query.webhook_url, events };
}
