import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import Type from 'typebox';
import { errorBody } from '../api-error.ts';
import { ErrorSchema } from '../schemas/error-schema.ts';

export interface OpsRouteOptions {
  isReady: () => boolean;
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
        tags,
        response: { 200: StatusSchema },
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
        tags,
        response: { 200: StatusSchema, 503: ErrorSchema },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      if (options.isReady()) {
        return { status: 'ready' };
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
    { schema: { summary: 'Prometheus metrics (text exposition format)', tags }, logLevel: 'warn' },
    async (_request, reply) => {
      const text = await options.registry.metrics();
      return reply.type(options.registry.contentType).send(text);
    },
  );

  app.get(
    '/openapi.json',
    { schema: { summary: 'This API’s OpenAPI 3.1 document', tags }, logLevel: 'warn' },
    async () => app.swagger(),
  );
};
