import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generationLimits } from '@warmgen/shared/domain/generation-params.ts';
import { completeAsWorker, sendJson, startApi } from './api-test-harness.ts';

describe('health, readiness, metrics and the OpenAPI document', () => {
  it('/healthz is always 200; /readyz follows isReady with a 503 in the error shape', async () => {
    let ready = false;
    const api = await startApi({ isReady: () => ready });
    try {
      assert.equal((await sendJson(api.baseUrl, 'GET', '/healthz')).status, 200);
      const notReady = await sendJson(api.baseUrl, 'GET', '/readyz');
      assert.equal(notReady.status, 503);
      assert.equal(notReady.json.error.code, 'unavailable');
      assert.match(notReady.json.error.message, /not ready/);
      ready = true;
      const nowReady = await sendJson(api.baseUrl, 'GET', '/readyz');
      assert.equal(nowReady.status, 200);
      assert.deepEqual(nowReady.json, { status: 'ready' });
    } finally {
      await api.close();
    }
  });

  it('/metrics shows request counts and latency, jobs submitted, jobs by status and queue depth', async () => {
    const api = await startApi();
    try {
      const a = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'a' });
      await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'b' });
      await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: '' });
      const items = [
        { custom_id: '1', prompt: 'x' },
        { custom_id: '2', prompt: 'y' },
      ];
      await sendJson(api.baseUrl, 'POST', '/v1/batches', { items });
      await sendJson(api.baseUrl, 'GET', `/v1/generations/${a.json.id}`);
      await completeAsWorker(api.store, a.json.id, 'done');

      const response = await fetch(`${api.baseUrl}/metrics`);
      assert.equal(response.status, 200);
      assert.match(String(response.headers.get('content-type')), /^text\/plain/);
      const text = await response.text();
      const value = (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        assert.ok(line, `no ${series} in\n${text}`);
        return Number(line.slice(series.length + 1));
      };
      assert.equal(
        value(
          'warmgen_http_requests_total{method="POST",route="/v1/generations",status_code="202"}',
        ),
        2,
      );
      assert.equal(
        value(
          'warmgen_http_requests_total{method="POST",route="/v1/generations",status_code="400"}',
        ),
        1,
      );
      assert.equal(
        value(
          'warmgen_http_requests_total{method="GET",route="/v1/generations/:id",status_code="200"}',
        ),
        1,
      );
      assert.equal(
        value(
          'warmgen_http_request_duration_seconds_count{method="POST",route="/v1/batches",status_code="202"}',
        ),
        1,
      );
      assert.equal(value('warmgen_jobs_submitted_total{source="generation"}'), 2);
      assert.equal(value('warmgen_jobs_submitted_total{source="batch"}'), 2);
      assert.equal(value('warmgen_jobs{status="queued"}'), 3);
      assert.equal(value('warmgen_jobs{status="succeeded"}'), 1);
      assert.equal(value('warmgen_jobs{status="failed"}'), 0);
      // The worker never pulled: all four published messages are still waiting.
      assert.equal(value('warmgen_queue_depth'), 4);
    } finally {
      await api.close();
    }
  });

  it('/openapi.json describes every route with the limits in force, from the validation schemas', async () => {
    const api = await startApi({
      limits: { maxPromptChars: 1234, maxBatchItems: 77, maxWaitSeconds: 9 },
    });
    try {
      const doc = (await sendJson(api.baseUrl, 'GET', '/openapi.json')).json;
      assert.equal(doc.openapi, '3.1.0');
      assert.deepEqual(Object.keys(doc.paths).sort(), [
        '/healthz',
        '/metrics',
        '/openapi.json',
        '/readyz',
        '/v1/batches',
        '/v1/batches/{id}',
        '/v1/batches/{id}/cancel',
        '/v1/batches/{id}/results',
        '/v1/batches/{id}/retry',
        '/v1/batches/{id}/webhook/redeliver',
        '/v1/capacity',
        '/v1/generations',
        '/v1/generations/{id}',
        '/v1/generations/{id}/cancel',
        '/v1/generations/{id}/stream',
        '/v1/generations/{id}/webhook/redeliver',
      ]);
      const submit = doc.paths['/v1/generations'].post;
      const body = submit.requestBody.content['application/json'].schema;
      assert.equal(body.additionalProperties, false);
      assert.deepEqual(body.required, ['prompt']);
      assert.equal(body.properties.prompt.maxLength, 1234);
      assert.equal(body.properties.prompt.minLength, 1);
      const params = body.properties.params.properties;
      assert.equal(params.max_new_tokens.maximum, generationLimits.maxNewTokens);
      assert.equal(params.temperature.maximum, 5);
      assert.equal(params.top_p.exclusiveMinimum, 0);
      assert.equal(params.stop.maxItems, generationLimits.maxStopSequences);
      assert.ok(
        submit.parameters.some(
          (p: { name: string; in: string }) => p.in === 'header' && p.name === 'idempotency-key',
        ),
      );
      assert.ok(submit.responses['202']);
      assert.ok(submit.responses['4XX'].content['application/json'].schema.properties.error);

      const get = doc.paths['/v1/generations/{id}'].get;
      const wait = get.parameters.find((p: { name: string }) => p.name === 'wait');
      assert.equal(wait.schema.maximum, 9);

      const batch = doc.paths['/v1/batches'].post;
      const batchBody = batch.requestBody.content['application/json'].schema;
      assert.equal(batchBody.properties.items.maxItems, 77);
      assert.equal(batchBody.properties.items.items.properties.custom_id.maxLength, 64);
      // The stream is text/event-stream, from both routes that answer with it.
      const stream = doc.paths['/v1/generations/{id}/stream'].get;
      assert.ok(stream.responses['200'].content['text/event-stream']);
      assert.ok(stream.parameters.some((p: { name: string }) => p.name === 'last-event-id'));
      assert.ok(submit.responses['200'].content['text/event-stream']);
      assert.equal(body.properties.stream.type, 'boolean');
      const results = doc.paths['/v1/batches/{id}/results'].get;
      assert.ok(results.responses['200'].content['application/jsonl']);
    } finally {
      await api.close();
    }
  });
});
