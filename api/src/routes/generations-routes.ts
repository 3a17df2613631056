import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { Job, NewJob } from '@warmgen/shared/domain/job.ts';
import { isTerminal } from '@warmgen/shared/domain/job-status.ts';
import { traceIdOf } from '@warmgen/shared/logging/cloud-trace.ts';
import { JobViewSchema, toJobView } from '@warmgen/shared/views/job-view.ts';
import { ApiError } from '../api-error.ts';
import { callerOf, canAccess } from '../auth/caller.ts';
import { submissionRateLimit } from '../auth/install-rate-limit.ts';
import { isSameSubmission } from '../idempotency.ts';
import { parsePreferWait } from '../prefer-wait.ts';
import { assertPromptsFit } from '../prompt-fit.ts';
import { publishAccepted } from '../publish-accepted.ts';
import { requestAbort } from '../request-abort.ts';
import {
  IdParamsSchema,
  jobWebhookEvents,
  SubmitHeadersSchema,
  waitQuerySchema,
} from '../schemas/common-schemas.ts';
import { errorResponses } from '../schemas/error-schema.ts';
import { createGenerationBodySchema } from '../schemas/generation-request.ts';
import { acquireStream, serveJobStream } from '../stream/serve-job-stream.ts';
import {
  noContentResponse,
  StreamHeadersSchema,
  streamResponses,
} from '../stream/stream-openapi.ts';
import { waitForTerminalJob } from '../wait-for-job.ts';
import { deliveryOf } from '../webhook-delivery-of.ts';
import { assertWebhookUrlAllowed } from '../webhook-url-guard.ts';
import type { RouteContext } from './route-context.ts';

/**
 * POST /v1/generations, GET /v1/generations/:id, GET /v1/generations/:id/stream,
 * POST /v1/generations/:id/cancel.
 */
export const generationsRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const { store, queue, limits, metrics } = ctx;
  const tags = ['generations'];

  /** Waits for a job to finish, for at most `seconds`, stopping early if nobody listens. */
  async function waitFor(job: Job, seconds: number, reply: Parameters<typeof requestAbort>[0]) {
    if (seconds <= 0 || isTerminal(job.status)) {
      return job;
    }
    const abort = requestAbort(reply, ctx.closing);
    try {
      const latest = await waitForTerminalJob(
        () => store.getJob(job.id),
        job,
        seconds * 1000,
        abort.signal,
        ctx.poll,
      );
      return latest ?? job;
    } finally {
      abort.dispose();
    }
  }

  app.post(
    '/v1/generations',
    {
      config: submissionRateLimit,
      // The body, not Accept, says whether the answer is a stream.
      sse: 'manual',
      schema: {
        summary: 'Submit a prompt',
        operationId: 'createGeneration',
        description:
          'Accepts the job (202) and queues it. With `Prefer: wait=N` the response is held up to N seconds (at most ' +
          `${limits.maxWaitSeconds}) and is a 200 when the job finished in that time. With \`"stream": true\` the ` +
          "response is the job's event stream (200, `text/event-stream`), as `GET /v1/generations/{id}/stream`.",
        tags,
        body: createGenerationBodySchema(limits),
        headers: SubmitHeadersSchema,
        response: {
          200: {
            description:
              'The finished job (`Prefer: wait`), or its event stream (`"stream": true`).',
            content: {
              'application/json': { schema: JobViewSchema },
              ...streamResponses[200].content,
            },
          },
          202: JobViewSchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      // Parsed before any write: a bad header must not leave a job behind.
      const waitSeconds = parsePreferWait(request.headers.prefer, limits.maxWaitSeconds);
      const { prompt, params, webhook, stream } = request.body;
      if (stream === true && waitSeconds !== null) {
        throw new ApiError(
          'validation_failed',
          'a stream answers as the job runs: send "stream": true or Prefer: wait, not both',
          [{ field: 'body/stream', message: 'cannot be combined with Prefer: wait' }],
        );
      }
      const resolvedParams = resolveGenerationParams(params ?? {});
      assertPromptsFit(ctx.promptTokens(), [
        { prompt, maxNewTokens: resolvedParams.max_new_tokens, where: 'body' },
      ]);
      if (webhook) {
        await assertWebhookUrlAllowed(ctx.webhookGuard, webhook.url, 'body/webhook/url');
      }
      // Before any write: a stream refused (429) leaves no job behind.
      const streamPlace = stream === true ? acquireStream(ctx, request, reply) : null;
      const { owner } = callerOf(request);
      const header = request.headers['idempotency-key'] ?? null;
      // Keys are per API key: another tenant's identical Idempotency-Key is another request.
      const idempotencyKey = header !== null && owner !== null ? `${owner}:${header}` : header;
      const newJob: NewJob = {
        id: ctx.newId('job'),
        prompt,
        params: resolvedParams,
        batchId: null,
        customId: null,
        webhook: webhook
          ? { url: webhook.url, events: webhook.events ?? [...jobWebhookEvents] }
          : null,
        idempotencyKey,
        createdAtMs: ctx.now(),
        owner,
        traceId: traceIdOf(request.headers),
      };
      // The hot path: one store write, one publish, no reads.
      const [stored] = await store.createJobs([newJob]);
      if (stored === undefined) {
        throw new Error('store.createJobs returned no job');
      }
      const replayed = stored.id !== newJob.id;
      if (replayed) {
        if (!isSameSubmission(stored, newJob)) {
          throw new ApiError(
            'idempotency_key_reused',
            `Idempotency-Key "${header}" was already used for job ${stored.id} with a different request; use a new key for a new request`,
          );
        }
        reply.header('idempotent-replayed', 'true');
      }
      // A replay of a job still queued publishes again: if the first attempt failed after the
      // write, this heals it; a duplicate message is harmless (claims are conditional).
      if (!replayed || stored.status === 'queued') {
        await publishAccepted([stored.id], {
          store,
          queue,
          now: ctx.now,
          log: request.log,
          chunkSize: 1,
        });
      }
      if (!replayed) {
        metrics.countSubmitted('generation', 1);
      }

      if (streamPlace !== null) {
        return serveJobStream(ctx, request, reply, stored, streamPlace);
      }
      let job = stored;
      if (waitSeconds !== null) {
        reply.header('preference-applied', `wait=${waitSeconds}`);
        job = await waitFor(stored, waitSeconds, reply);
      }
      reply.header('location', `/v1/generations/${job.id}`);
      return reply
        .code(isTerminal(job.status) ? 200 : 202)
        .send(toJobView(job, await deliveryOf(ctx, job)));
    },
  );

  app.get(
    '/v1/generations/:id',
    {
      schema: {
        summary: 'Get a job',
        operationId: 'getGeneration',
        description:
          '`?wait=N` (a decimal integer) long-polls: answers as soon as the job is finished, or after N seconds. ' +
          'A job of another API key is a 404.',
        tags,
        params: IdParamsSchema,
        querystring: waitQuerySchema(limits.maxWaitSeconds),
        response: { 200: JobViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const job = await store.getJob(id);
      if (job === null || !canAccess(callerOf(request), job)) {
        throw notFound(id);
      }
      const latest = await waitFor(job, request.query.wait ?? 0, reply);
      return toJobView(latest, await deliveryOf(ctx, latest));
    },
  );

  app.get(
    '/v1/generations/:id/stream',
    {
      sse: 'manual',
      schema: {
        summary: "Stream a job's text as it generates",
        operationId: 'streamGeneration',
        description:
          'Server-sent events: `text` events with the text so far at connect, then each new piece as the worker ' +
          'produces it (never half a character, never the start of a stop sequence that may still complete; joined, ' +
          'the pieces are the final text); `requeued` when the job starts over on another worker (drop the text so ' +
          "far); then one `done` event with the finished job as `GET` returns it, and the stream ends. A queued job's " +
          'stream waits with keep-alive comments. `Last-Event-ID` resumes after that event without duplicates; after ' +
          '`done` the answer is 204. Closing the stream does not cancel the job. A job of another API key is a 404.',
        tags,
        params: IdParamsSchema,
        headers: StreamHeadersSchema,
        response: { ...streamResponses, 204: noContentResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const job = await store.getJob(id);
      if (job === null || !canAccess(callerOf(request), job)) {
        throw notFound(id);
      }
      return serveJobStream(ctx, request, reply, job);
    },
  );

  app.post(
    '/v1/generations/:id/cancel',
    {
      schema: {
        summary: 'Cancel a job',
        operationId: 'cancelGeneration',
        description:
          'A queued job is canceled at once (200). A running one is asked to stop at its next decode step (202, ' +
          '`cancel_requested: true`). A finished job cannot be canceled (409).',
        tags,
        params: IdParamsSchema,
        response: { 200: JobViewSchema, 202: JobViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Read first: the store's answer alone cannot tell "already canceled" from "canceled now".
      const before = await store.getJob(id);
      if (before === null || !canAccess(callerOf(request), before)) {
        throw notFound(id);
      }
      if (isTerminal(before.status)) {
        throw alreadyFinished(before);
      }
      const after = await store.requestCancel({ id, nowMs: ctx.now() });
      if (after === null) {
        throw notFound(id);
      }
      if (isTerminal(after.status) && after.status !== 'canceled') {
        throw alreadyFinished(after);
      }
      return reply
        .code(after.status === 'canceled' ? 200 : 202)
        .send(toJobView(after, await deliveryOf(ctx, after)));
    },
  );
};

function notFound(id: string): ApiError {
  return new ApiError('not_found', `generation ${id} does not exist`);
}

function alreadyFinished(job: Job): ApiError {
  return new ApiError(
    'conflict',
    `generation ${job.id} is already ${job.status} and cannot be canceled`,
  );
}
