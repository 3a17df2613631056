import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { OpenAiContext } from './openai-context.ts';
import { modelNotFound, modelObject } from './served-model.ts';

/** GET /openai/v1/models and /models/{model}: the one served model. */
export const modelsRoutes: FastifyPluginAsyncTypebox<OpenAiContext> = async (app, ctx) => {
  const served = () => modelObject(ctx.openai.modelName, ctx.startedAtSeconds);

  app.get('/models', { schema: { hide: true } }, async () => ({
    object: 'list',
    data: [served()],
  }));

  app.get(
    '/models/:model',
    {
      schema: {
        hide: true,
        params: Type.Object({ model: Type.String({ maxLength: 256 }) }),
      },
    },
    async (request) => {
      if (request.params.model !== ctx.openai.modelName) {
        throw modelNotFound(request.params.model, ctx.openai.modelName, 'model');
      }
      return served();
    },
  );
};
