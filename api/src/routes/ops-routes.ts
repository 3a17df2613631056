import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  type StorageFailure,
  storageConditionText,
} from '@warmgen/shared/errors/storage-failure.ts';
import type { Registry } from 'prom-client';
import Type from 'typebox';
import { errorBody } from '../api-error.ts';
import { ErrorSchema, errorResponses } from '../schemas/error-schema.ts';

export interface OpsRouteOptions {
  isReady: () => Promise<boolean>;
  /** The storage failure /readyz reports, if that is why it is not ready. */
  storageFailure: () => StorageFailure | null;
  registry: Registry;
}

/** GET /healthz, /readyz, /metrics and /openapi.json: for probes, scrapers and tooling. */
export const opsRoutes: FastifyPluginAsyncTypebox<OpsRouteOptions> = async (app, options) => {
  const tags = ['operations'];
  const StatusSchema = Type.Object({ status: Type.String() });

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: 200 whenever the process serves HTTP',
        operationId: 'getHealth',
        description: 'Needs no API key. Says nothing about the store or the queue (see /readyz).',
        tags,
        response: { 200: StatusSchema, ...errorResponses },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary:
          'Readiness: 200 when the store and queue are connected and the server is not shutting down',
        operationId: 'getReadiness',
        description:
          'Needs no API key. 503 while starting or shutting down, and `storage_unavailable` while the ' +
          'store or queue refuses writes (full disk, read-only, unavailable); 200 again once a write succeeds.',
        tags,
        response: { 200: StatusSchema, 503: ErrorSchema, ...errorResponses },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      if (await options.isReady()) {
        return { status: 'ready' };
      }
      const storage = options.storageFailure();
      if (storage !== null) {
        return reply
          .code(503)
          .send(
            errorBody(
              'storage_unavailable',
              `not ready: ${storageConditionText[storage.condition]} (${storage.source})`,
              [{ field: 'storage', message: storage.condition }],
            ),
          );
      }
      return reply
        .code(503)
        .send(
          errorBody(
            'unavailable',
            'not ready: starting up, shutting down or a dependency is unreachable',
          ),
        );
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        operationId: 'getMetrics',
        description: 'Throughput, backlog and latency; needs an API key when keys are configured.',
        tags,
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4.',
            content: { 'text/plain': { schema: Type.String() } },
          },
          ...errorResponses,
        },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const text = await options.registry.metrics();
      return reply.type(options.registry.contentType).send(text);
    },
  );

  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This API’s OpenAPI 3.1 document',
        operationId: 'getOpenApiDocument',
        description: 'Needs no API key. Generated from the same schemas the API validates with.',
        tags,
        response: {
          200: Type.Object({}, { additionalProperties: true, description: 'OpenAPI 3.1' }),
          ...errorResponses,
        },
      },
      logLevel: 'warn',
    },
    async () => app.swagger(),
  );
};
