import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { openAiBatchesRoutes } from './batches-routes.ts';
import { completionsRoutes } from './completions-routes.ts';
import { filesRoutes } from './files-routes.ts';
import { modelsRoutes } from './models-routes.ts';
import type { OpenAiContext } from './openai-context.ts';
import { isNativeErrorBody, OpenAiError, toOpenAiErrorBody } from './openai-error.ts';

/**
 * The OpenAI-compatible surface, registered under /openai/v1, so that
 * `new OpenAI({baseURL: 'http://HOST/openai/v1', apiKey})` works unchanged. Its
 * operations are OpenAI's (documented by OpenAI's own API reference), so they are hidden
 * from warmgen's OpenAPI document, which describes the native surface.
 *
 * Errors: an OpenAiError is sent as it is; anything else goes to the native error handler
 * (validation, storage, auth and rate limits keep their one place of decision), and the
 * onSend hook below reshapes the native body into OpenAI's on the way out.
 */
export const openAiRoutes: FastifyPluginAsyncTypebox<OpenAiContext> = async (app, options) => {
  // The plugin options carry the prefix; the routes inside must not add it again.
  const { prefix: _prefix, ...ctx } = options as OpenAiContext & { prefix?: string };
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof OpenAiError) {
      return reply.code(error.statusCode).send(error.body);
    }
    // Rethrown, it reaches the parent (native) handler.
    throw error;
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') {
      return payload;
    }
    if (!String(reply.getHeader('content-type') ?? '').startsWith('application/json')) {
      return payload;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return payload;
    }
    return isNativeErrorBody(body)
      ? JSON.stringify(toOpenAiErrorBody(reply.statusCode, body))
      : payload;
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(
      new OpenAiError(404, {
        message: `Unknown request URL: ${request.method} ${request.url.split('?')[0]}`,
        code: 'unknown_url',
      }).body,
    ),
  );

  app.register(modelsRoutes, ctx);
  app.register(completionsRoutes, ctx);
  app.register(filesRoutes, ctx);
  app.register(openAiBatchesRoutes, ctx);
};
