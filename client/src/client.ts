import createClient, { type Client } from 'openapi-fetch';
import { dataOf } from './api-error.ts';
import { jsonLines } from './json-lines.ts';
import type { paths } from './schema.d.ts';
import type { Batch, BatchResultLine } from './types.ts';

export interface WarmgenClientOptions {
  /** The API's origin, e.g. `http://localhost:8080` (no trailing `/v1`). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; null or absent for an open server (npm start). */
  apiKey?: string | null | undefined;
  /** A fetch of the caller's (default: globalThis.fetch). */
  fetch?: (input: Request) => Promise<Response>;
}

export interface SubmitJsonlOptions {
  /**
   * Idempotency-Key: the same key with the same lines answers with the batch it created
   * the first time (`replayed: true`) instead of a second batch; other lines under the
   * key are a 409.
   */
  idempotencyKey?: string | undefined;
  /** A webhook for the batch (JSONL carries it in the query). */
  webhookUrl?: string | undefined;
  webhookEvents?: string[] | undefined;
}

export interface WarmgenClient {
  /** Every route, typed from the served OpenAPI document (openapi-fetch). */
  api: Client<paths>;
  /** POST /v1/batches with a JSONL body (one BatchItem object per line), sent as is. */
  submitJsonl(jsonl: string, options?: SubmitJsonlOptions): Promise<SubmittedBatch>;
  /** GET /v1/batches/{id}/results, one parsed line at a time as it streams. */
  results(
    batchId: string,
    options?: { order?: 'custom_id' | 'input' },
  ): AsyncGenerator<BatchResultLine>;
}

export interface SubmittedBatch {
  batch: Batch;
  /** true when the Idempotency-Key had made this batch before: nothing new was queued. */
  replayed: boolean;
}

/**
 * warmgen's native API as a typed client: `api` is openapi-fetch over the generated
 * `paths`, so a path, parameter or body the API does not have fails the typecheck; the
 * helpers cover what a JSON client cannot say (a JSONL upload, a JSONL results stream).
 */
export function createWarmgenClient(options: WarmgenClientOptions): WarmgenClient {
  const api = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    api,
    async submitJsonl(jsonl, submit = {}) {
      const result = await api.POST('/v1/batches', {
        body: jsonl,
        // The lines go as they are: the server names a bad one by its line number.
        bodySerializer: (body) => body,
        headers: {
          'content-type': 'application/jsonl',
          ...(submit.idempotencyKey ? { 'idempotency-key': submit.idempotencyKey } : {}),
        },
        params: {
          query: {
            ...(submit.webhookUrl ? { webhook_url: submit.webhookUrl } : {}),
            ...(submit.webhookEvents ? { webhook_events: submit.webhookEvents.join(',') } : {}),
          },
        },
      });
      return {
        batch: dataOf(result),
        replayed: result.response.headers.get('idempotent-replayed') === 'true',
      };
    },
    async *results(batchId, { order = 'custom_id' } = {}) {
      const result = await api.GET('/v1/batches/{id}/results', {
        params: { path: { id: batchId }, query: { order } },
        parseAs: 'stream',
      });
      const body = dataOf(result) as unknown as ReadableStream<Uint8Array> | null;
      if (body === null) {
        return;
      }
      for await (const line of jsonLines(body)) {
        yield line as BatchResultLine;
      }
    },
  };
}
