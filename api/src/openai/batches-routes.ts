import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Batch, NewJob } from '@warmgen/shared/domain/job.ts';
import type { OpenAiBatchRecord } from '@warmgen/shared/ports/openai-batch-store.ts';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { callerOf, canAccess } from '../auth/caller.ts';
import { submissionRateLimit } from '../auth/install-rate-limit.ts';
import { publishAccepted } from '../publish-accepted.ts';
import { retryBatchAndPublish, retryRefusalMessage } from '../retry-batch.ts';
import { IdParamsSchema } from '../schemas/common-schemas.ts';
import { createBatchInputChecker } from './batch-input-lines.ts';
import { batchStatusOf, toBatchObject } from './batch-object.ts';
import { refreshBatch } from './batch-refresh.ts';
import { cursorPage } from './cursor-page.ts';
import type { OpenAiContext } from './openai-context.ts';
import { OpenAiError } from './openai-error.ts';
import { storesOf } from './openai-stores.ts';

/** The one endpoint and window served: OpenAI's only window, warmgen's only endpoint. */
const servedEndpoint = '/v1/completions';
const servedWindow = '24h';
const windowMs = 24 * 3600 * 1000;

const CreateBatchBody = Type.Object(
  {
    input_file_id: Type.String({ minLength: 1, maxLength: 128 }),
    endpoint: Type.String(),
    completion_window: Type.String(),
    metadata: Type.Optional(
      Type.Union([
        Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), {
          maxProperties: 16,
        }),
        Type.Null(),
      ]),
    ),
    output_expires_after: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/**
 * /openai/v1/batches: create, retrieve, cancel, list, and retry (a warmgen extension). An OpenAI batch is a warmgen batch
 * of the same id (GET /v1/batches/{id} shows it too): its lines are jobs in the one store
 * and queue; the record adds only what OpenAI's batch object reports.
 */
export const openAiBatchesRoutes: FastifyPluginAsyncTypebox<OpenAiContext> = async (app, ctx) => {
  const { store, queue } = ctx;
  const checkInput = createBatchInputChecker({
    limits: ctx.limits,
    endpoint: servedEndpoint,
    modelName: ctx.openai.modelName,
    maxLines: ctx.openai.maxFileLines,
    promptTokens: ctx.promptTokens,
  });
  const view = async (record: OpenAiBatchRecord) => {
    const fresh = await refreshBatch(ctx, record);
    return toBatchObject(fresh.record, fresh.counts, ctx.openai.modelName, fresh.usage);
  };

  app.post(
    '/batches',
    { config: submissionRateLimit, schema: { hide: true, body: CreateBatchBody } },
    async (request) => {
      const { files, batches } = storesOf(ctx);
      const body = request.body;
      if (body.endpoint !== servedEndpoint) {
        throw new OpenAiError(400, {
          message: `endpoint must be ${servedEndpoint} (the only one served here), got "${body.endpoint}"`,
          code: 'invalid_request',
          param: 'endpoint',
        });
      }
      if (body.completion_window !== servedWindow) {
        throw new OpenAiError(400, {
          message: `completion_window must be "${servedWindow}", got "${body.completion_window}"`,
          code: 'invalid_request',
          param: 'completion_window',
        });
      }
      const { owner } = callerOf(request);
      const file = await files.get(body.input_file_id);
      if (file === null || !canAccess({ owner }, file)) {
        throw new OpenAiError(404, {
          message: `No such File object: ${body.input_file_id}`,
          code: 'not_found',
          param: 'input_file_id',
        });
      }
      if (file.purpose !== 'batch') {
        throw new OpenAiError(400, {
          message: `file ${file.id} has purpose "${file.purpose}"; a batch needs purpose "batch"`,
          code: 'invalid_request',
          param: 'input_file_id',
        });
      }
      const check = await checkInput(files.read(file.id));
      const nowMs = ctx.now();
      const id = ctx.newId('batch');
      const record: OpenAiBatchRecord = {
        id,
        owner,
        inputFileId: file.id,
        endpoint: servedEndpoint,
        completionWindow: servedWindow,
        metadata: body.metadata ?? null,
        total: check.total,
        errors: check.errors.length > 0 ? check.errors : null,
        createdAtMs: nowMs,
        expiresAtMs: nowMs + windowMs,
        cancellingAtMs: null,
        expiredAtMs: null,
        finishedAtMs: null,
      };
      if (record.errors === null) {
        const batch: Batch = {
          id,
          createdAtMs: nowMs,
          itemCount: check.lines.length,
          webhook: null,
          cancelRequested: false,
          owner,
        };
        const jobs: NewJob[] = check.lines.map((line, inputIndex) => ({
          id: ctx.newId('job'),
          prompt: line.prompt,
          params: line.params,
          batchId: id,
          customId: line.customId,
          webhook: null,
          idempotencyKey: null,
          createdAtMs: nowMs,
          owner,
          inputIndex,
        }));
        // The warmgen batch first: once its jobs are recorded they run whatever happens
        // next; a record written before them could show a batch with no jobs as finished.
        await store.createBatch({ batch, jobs });
        await batches.create(record);
        await publishAccepted(
          jobs.map((job) => job.id),
          { store, queue, now: ctx.now, log: request.log, chunkSize: ctx.publishChunkSize },
        );
        ctx.metrics.countSubmitted('batch', jobs.length);
      } else {
        await batches.create(record);
      }
      return view(record);
    },
  );

  async function recordOr404(request: FastifyRequest<{ Params: { id: string } }>) {
    const record = await storesOf(ctx).batches.get(request.params.id);
    if (record === null || !canAccess(callerOf(request), record)) {
      throw new OpenAiError(404, {
        message: `No such Batch object: ${request.params.id}`,
        code: 'not_found',
        param: 'batch_id',
      });
    }
    return record;
  }

  app.get('/batches/:id', { schema: { hide: true, params: IdParamsSchema } }, async (request) =>
    view(await recordOr404(request)),
  );

  app.post(
    '/batches/:id/cancel',
    { schema: { hide: true, params: IdParamsSchema } },
    async (request) => {
      const { batches } = storesOf(ctx);
      const fresh = await refreshBatch(ctx, await recordOr404(request));
      const status = batchStatusOf(fresh.record, fresh.counts);
      if (!['in_progress', 'cancelling'].includes(status)) {
        throw new OpenAiError(409, {
          message: `Cannot cancel a batch with status ${status}.`,
          code: 'conflict',
        });
      }
      const nowMs = ctx.now();
      await store.cancelBatch({ batchId: fresh.record.id, nowMs });
      const marked = await batches.mark(fresh.record.id, 'cancellingAtMs', nowMs);
      return view(marked ?? fresh.record);
    },
  );

  // A warmgen extension (OpenAI has no retry): the SDK calls it as
  // client.post(`/batches/${id}/retry`). The same retry as POST /v1/batches/{id}/retry.
  app.post(
    '/batches/:id/retry',
    { config: submissionRateLimit, schema: { hide: true, params: IdParamsSchema } },
    async (request) => {
      const { batches } = storesOf(ctx);
      const fresh = await refreshBatch(ctx, await recordOr404(request));
      const { id } = fresh.record;
      const status = batchStatusOf(fresh.record, fresh.counts);
      if (!['completed', 'cancelled', 'expired'].includes(status)) {
        throw new OpenAiError(409, {
          message:
            status === 'failed'
              ? `Cannot retry batch ${id}: its input file failed validation and no request ran; fix the file and create a new batch.`
              : `Cannot retry a batch with status ${status}; retry it once it has finished.`,
          code: 'conflict',
        });
      }
      if (fresh.counts.failed + fresh.counts.canceled === 0) {
        throw new OpenAiError(409, {
          message: retryRefusalMessage(id, 'nothing_to_retry'),
          code: 'conflict',
        });
      }
      // The record first: a new window and no end moments, so the retried lines are never
      // shown as cancelled or expired, nor expired again by the old window. If the process
      // dies before the job store's retry, the next read marks the batch finished again.
      await batches.reopen(id, ctx.now() + windowMs);
      const retry = await retryBatchAndPublish(id, {
        store,
        queue,
        metrics: ctx.metrics,
        now: ctx.now,
        log: request.log,
        chunkSize: ctx.publishChunkSize,
      });
      if ('refused' in retry) {
        throw new OpenAiError(409, {
          message: retryRefusalMessage(id, retry.refused),
          code: 'conflict',
        });
      }
      return view((await batches.get(id)) ?? fresh.record);
    },
  );

  app.get(
    '/batches',
    {
      schema: {
        hide: true,
        querystring: Type.Object(
          {
            after: Type.Optional(Type.String({ maxLength: 128 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 20;
      const page = await storesOf(ctx).batches.list({
        owner: callerOf(request).owner,
        afterId: request.query.after ?? null,
        limit: limit + 1,
      });
      return cursorPage(page, limit, view);
    },
  );
};
