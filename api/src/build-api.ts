import { fastifySSE } from '@fastify/sse';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { configDefaults } from '@warmgen/shared/config/config-defaults.ts';
import { type OpenAiConfig, readOpenAiConfig } from '@warmgen/shared/config/openai-config.ts';
import { newBatchId, newJobId } from '@warmgen/shared/domain/ids.ts';
import { loggerOptions } from '@warmgen/shared/logging/logger-options.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import type { OpenAiStores } from '@warmgen/shared/ports/openai-batch-store.ts';
import type { StreamChannel } from '@warmgen/shared/ports/stream-channel.ts';
import type { WebhookEventStore } from '@warmgen/shared/ports/webhook-event-store.ts';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Registry } from 'prom-client';
import { errorBody } from './api-error.ts';
import type { ApiLimits } from './api-limits.ts';
import { createApiMetrics } from './api-metrics.ts';
import { type AuthOptions, installAuth } from './auth/install-auth.ts';
import { installRateLimit } from './auth/install-rate-limit.ts';
import type { CapacitySources } from './capacity/read-capacity.ts';
import {
  clientErrorHandler,
  frameworkErrorHandler,
  installErrorHandling,
} from './error-handler.ts';
import { installJsonBodyParser } from './json-body-parser.ts';
import { openAiRoutes } from './openai/openai-routes.ts';
import { openapiOptions } from './openapi-document.ts';
import type { PromptTokensOf } from './prompt-fit.ts';
import { CloudLoggingLogController } from './request-log-controller.ts';
import { batchesRoutes } from './routes/batches-routes.ts';
import { capacityRoutes } from './routes/capacity-routes.ts';
import { generationsRoutes } from './routes/generations-routes.ts';
import { opsRoutes } from './routes/ops-routes.ts';
import type { RouteContext } from './routes/route-context.ts';
import { webhookRoutes } from './routes/webhook-routes.ts';
import { strictValidatorCompiler } from './schemas/strict-validator-compiler.ts';
import { describeSchemaErrors, detailsToMessage } from './schemas/validation-messages.ts';
import { createStorageHealth } from './storage-health.ts';
import { LiveTextHub } from './stream/live-text-hub.ts';
import { OpenStreamLimit } from './stream/open-stream-limit.ts';
import { type PinoLoggerOptions, traceChildLoggerFactory } from './trace-child-logger.ts';
import type { PollTuning } from './wait-for-job.ts';
import { defaultWebhookUrlGuard, type WebhookUrlGuard } from './webhook-url-guard.ts';

export interface ApiDeps {
  store: JobStore;
  queue: JobQueue;
  limits: ApiLimits;
  /** Readiness for /readyz (e.g. false until adapters connect and once shutdown starts). */
  isReady: () => boolean;
  /** Where the API's metrics go; one registry per API instance. */
  registry: Registry;
  /** Epoch milliseconds, for job timestamps (default Date.now). */
  now?: () => number;
  /** Ids for jobs and batches (default `job_…` / `batch_…` from shared's ids.ts). */
  newId?: (kind: 'job' | 'batch') => string;
  /** true: Cloud Logging JSON at info (the default); false: silent; or pino options. */
  logger?: boolean | PinoLoggerOptions;
  /** Google Cloud project, so log lines carry `logging.googleapis.com/trace`. */
  traceProjectId?: string | null;
  /** Internals a test may shrink; the defaults suit production. */
  tuning?: Partial<ApiTuning>;
  /**
   * API keys and the per-key submission limit (config.auth). Default: open, no limit.
   * rateLimitPerMinute 0 turns the limit off.
   */
  auth?: AuthOptions & { rateLimitPerMinute: number; rateLimitWindowMs?: number };
  /**
   * Webhook events, for the webhook_delivery field of job and batch views and the
   * redeliver endpoints. Without it views show null and redelivery answers 503.
   */
  webhookEvents?: WebhookEventStore;
  /** The SSRF check on submitted webhook URLs. Default: strict, the system resolver. */
  webhookGuard?: WebhookUrlGuard;
  /**
   * A tiny durable write to the store (Backend.probeWrites). While storage fails, /readyz
   * runs it (at most once a second) to see writes work again. Without it /readyz recovers
   * on the next write that succeeds.
   */
  storageProbe?: () => Promise<void>;
  /**
   * Run `storageProbe` on /readyz while storage looks healthy too (at most once a second):
   * for a probe that reads (gcp), where an unreachable service shows in no write until a
   * client tries one. Default false: the SQLite write probe runs only while failing.
   */
  storageProbeWhileHealthy?: boolean;
  /** The OpenAI-compatible surface's settings (config.openai). Default: OpenAI's limits, model gpt2. */
  openai?: OpenAiConfig;
  /** Files and OpenAI batch records (Backend.openai); without them those routes answer 503. */
  openaiStores?: OpenAiStores | null;
  /**
   * Worker heartbeats and the launcher's state, for GET /v1/capacity and the capacity
   * metrics. Without it the route answers 503 and those series are absent.
   */
  capacity?: CapacitySources | null;
  /**
   * Live output (SSE streams): the channel workers publish running jobs' text to, the
   * open-stream limit per key (MAX_STREAMS_PER_KEY) and the keep-alive comment interval
   * (STREAM_KEEPALIVE_MS). Without a channel a stream still opens and ends with the
   * final text and event, read from the record. The channel's lifetime is the caller's.
   */
  stream?: {
    channel: Pick<StreamChannel, 'listenAll'> | null;
    maxStreamsPerKey: number;
    keepAliveMs: number;
  };
  /**
   * The model's prompt counter (its tokenizer and n_positions), read at each submission so a
   * main can supply it once the model folder is local. Prompt + max_new_tokens past the
   * model's positions is a 400 at submit; without it (or while it is null) such a job is
   * accepted and failed by the worker.
   */
  promptTokens?: PromptTokensOf;
}

export interface ApiTuning {
  /** Jobs per store.listBatchJobs page when streaming results. */
  resultsPageSize: number;
  /** Job ids per queue.publish call for a batch. */
  publishChunkSize: number;
  /** Long-poll store reads: 50 ms first, growing 1.5x up to 500 ms. */
  poll: PollTuning;
}

const defaultTuning: ApiTuning = {
  resultsPageSize: 500,
  publishChunkSize: 500,
  poll: { firstDelayMs: 50, maxDelayMs: 500, growthFactor: 1.5 },
};

export type ApiServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * The HTTP API as a Fastify instance, not yet listening. Everything it talks to is
 * injected; it reads no environment. Call `listen` to serve and `close` to stop (open
 * long polls answer at once when closing starts).
 */
export function buildApi(deps: ApiDeps): ApiServer {
  const tuning: ApiTuning = { ...defaultTuning, ...deps.tuning };
  const logger =
    deps.logger === false
      ? false
      : deps.logger === true || deps.logger === undefined
        ? loggerOptions()
        : deps.logger;

  const app = Fastify({
    logger,
    childLoggerFactory: traceChildLoggerFactory(deps.traceProjectId ?? null),
    logController: new CloudLoggingLogController(),
    bodyLimit: deps.limits.maxBodyBytes,
    // Long polls must not be cut by a request timeout; Cloud Run's own limit applies.
    requestTimeout: 0,
    // Path parameters are bounded by their schemas (ids: 64 characters), which name the
    // field in a short 400; the router's own limit (100) answered with the whole URL in
    // the message instead. Node's header size limit (16 KiB) still bounds the URL.
    routerOptions: { maxParamLength: 16_384 },
    return503OnClosing: false,
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(detailsToMessage(describeSchemaErrors(errors, dataVar))),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(strictValidatorCompiler);

  const closingController = new AbortController();
  app.addHook('preClose', async () => {
    closingController.abort();
  });
  // Requests arriving while closing get the usual error shape (Fastify's own 503 does not).
  app.addHook('onRequest', async (_request, reply) => {
    if (closingController.signal.aborted) {
      return reply
        .code(503)
        .header('connection', 'close')
        .send(errorBody('unavailable', 'the server is shutting down; retry'));
    }
  });

  // Storage failures seen on any call turn /readyz 503 until a write succeeds again.
  const storage = createStorageHealth({
    probe: deps.storageProbe,
    probeWhileHealthy: deps.storageProbeWhileHealthy ?? false,
    onChange: (failure) =>
      failure === null
        ? app.log.info({}, 'storage takes writes again: ready')
        : app.log.error({ storage: failure }, 'storage failing: not ready'),
  });
  const store = storage.watchStore(deps.store);
  const queue = storage.watchQueue(deps.queue);

  const now = deps.now ?? Date.now;
  const capacity = deps.capacity ?? null;
  const metrics = createApiMetrics(deps.registry, store, queue, app.log, capacity);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  installErrorHandling(app);
  installJsonBodyParser(app);
  const auth = deps.auth ?? { mode: 'open', keyHashes: [], rateLimitPerMinute: 0 };
  installAuth(app, auth);
  if (auth.rateLimitPerMinute > 0) {
    installRateLimit(app, auth.rateLimitPerMinute, auth.rateLimitWindowMs);
  }

  app.register(swagger, openapiOptions(auth, deps.limits));
  const stream = deps.stream ?? {
    channel: null,
    maxStreamsPerKey: configDefaults.maxStreamsPerKey,
    keepAliveMs: configDefaults.streamKeepAliveMs,
  };
  app.register(fastifySSE, { heartbeatInterval: stream.keepAliveMs });
  const hub = new LiveTextHub(stream.channel);
  app.addHook('onClose', async () => hub.close());

  const context: RouteContext = {
    store,
    queue,
    limits: deps.limits,
    metrics,
    now,
    newId: deps.newId ?? ((kind) => (kind === 'job' ? newJobId() : newBatchId())),
    poll: tuning.poll,
    closing: closingController.signal,
    resultsPageSize: tuning.resultsPageSize,
    publishChunkSize: tuning.publishChunkSize,
    events: deps.webhookEvents ?? null,
    webhookGuard: deps.webhookGuard ?? defaultWebhookUrlGuard,
    streams: { hub, limit: new OpenStreamLimit(stream.maxStreamsPerKey) },
    promptTokens: deps.promptTokens ?? (() => null),
  };
  app.register(generationsRoutes, context);
  app.register(batchesRoutes, context);
  app.register(webhookRoutes, context);
  app.register(capacityRoutes, { store, capacity, now });
  app.register(openAiRoutes, {
    ...context,
    prefix: '/openai/v1',
    openai: deps.openai ?? readOpenAiConfig({}),
    startedAtSeconds: Math.floor(context.now() / 1000),
    stores: deps.openaiStores ?? null,
  });
  app.register(opsRoutes, {
    isReady: async () => deps.isReady() && (await storage.check()),
    storageFailure: storage.failure,
    registry: deps.registry,
  });
  return app;
}
