import type { SwaggerOptions } from '@fastify/swagger';
import { BatchResultLineSchema } from '@warmgen/shared/views/batch-view.ts';
import type { ApiLimits } from './api-limits.ts';
import { type AuthOptions, unauthenticatedPaths } from './auth/install-auth.ts';
import { batchItemSchema } from './schemas/batch-request.ts';

/**
 * The OpenAPI 3.1 document, generated from the routes' own schemas by @fastify/swagger,
 * plus what those schemas cannot say:
 *
 * - **Security per operation.** With keys required every route but the probes and this
 *   document carries `bearerAuth`; the probes carry `security: []`. An open server
 *   declares no scheme at all (none is checked), so a client is never told to send a key
 *   it does not need, nor the reverse.
 * - **JSONL as JSONL.** The batch route validates the `{items}` envelope the JSONL parser
 *   builds, and swagger would print that envelope for every media type. On the wire a
 *   JSONL upload and the results are a string of lines, so their media types are typed
 *   `string` and carry the schema of one line in `x-item-schema` (inline: linters do not
 *   follow a `$ref` inside an extension and call the component unused). OpenAPI 3.2 calls
 *   this `itemSchema`, which 3.1 lacks, and the 3.1 tools we care about (openapi-typescript,
 *   Prism) do not read 3.2 yet. The contract test validates every line against it.
 * - **servers** is `/`: relative to wherever the document is served, which is always the
 *   API itself (Cloud Run URL, a custom domain, localhost).
 */
export function openapiOptions(auth: AuthOptions, limits: ApiLimits): SwaggerOptions {
  const keyed = auth.mode === 'required';
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'warmgen',
        version: '1',
        description:
          'Asynchronous GPT-2 text generation: submit, poll or wait, batch, cancel. Every error is ' +
          '`{"error": {"code", "message", "details?"}}`; bad input is a 4xx naming the field.',
      },
      servers: [{ url: '/', description: 'The host serving this document.' }],
      tags: [
        { name: 'generations', description: 'One prompt, one job.' },
        { name: 'batches', description: 'Many prompts at once, as JSON or JSONL.' },
        { name: 'webhooks', description: 'Redelivery of webhook events.' },
        {
          name: 'capacity',
          description: 'Workers, backlog and scaling, and when a new job would run.',
        },
        { name: 'operations', description: 'Probes, metrics and this document.' },
      ],
      components: keyed
        ? {
            securitySchemes: {
              [securitySchemeName]: {
                type: 'http',
                scheme: 'bearer',
                description: 'An API key: `Authorization: Bearer <key>`, exactly one such header.',
              },
            },
          }
        : {},
      security: [],
    },
    transform: ({ schema, url }) => ({
      schema: { ...schema, security: keyed && isKeyed(url) ? [{ [securitySchemeName]: [] }] : [] },
      url,
    }),
    transformObject: (document) =>
      'openapiObject' in document ? describeJsonl(document.openapiObject, limits) : document,
  };
}

export const securitySchemeName = 'bearerAuth';

function isKeyed(url: string): boolean {
  return !unauthenticatedPaths.includes(url);
}

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON patched by path
type Document = any;

function describeJsonl(document: Document, limits: ApiLimits): Document {
  const upload = {
    schema: {
      type: 'string',
      description:
        'JSON Lines: one BatchItem object per line (blank lines are ignored), at most ' +
        `${limits.maxBatchItems} items. The webhook, if any, goes in the query.`,
    },
    'x-item-schema': { title: 'BatchItem', ...batchItemSchema(limits) },
    example:
      '{"custom_id": "b", "prompt": "Second prompt"}\n' +
      '{"custom_id": "a", "prompt": "First prompt", "params": {"max_new_tokens": 8}}\n',
  };
  const submit = document.paths['/v1/batches'].post;
  submit.requestBody.content['application/jsonl'] = upload;
  submit.requestBody.content['application/x-ndjson'] = upload;

  const results = document.paths['/v1/batches/{id}/results'].get.responses['200'];
  results.description = 'JSON Lines, one BatchResultLine per item, in custom_id order.';
  results.content = {
    'application/jsonl': {
      schema: { type: 'string', description: 'One BatchResultLine object per line.' },
      'x-item-schema': { title: 'BatchResultLine', ...BatchResultLineSchema },
    },
  };
  return document;
}
