import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebhookPayload } from '@warmgen/shared/views/webhook-payload.ts';
import {
  type ReceivedWebhook,
  startTestReceiver,
  type TestReceiver,
  testSecret,
} from '@warmgen/worker/webhooks/test-support/webhook-receiver.ts';
import type OpenAI from 'openai';
import { type BatchView, batchResults, requestJson, waitForBatch } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import type { ServiceProcess } from './e2e/service-process.ts';
import {
  createBatch,
  downloadLines,
  numberedLines,
  openAiClient,
  pollBatch,
  uploadLines,
} from './openai/batch-lines.ts';

const batchData = (request: ReceivedWebhook | undefined) =>
  (request?.verified as WebhookPayload | null)?.data as BatchView & { retries: number };

/**
 * Retrying a batch on `npm start` with the tiny model: a batch canceled mid-way leaves
 * canceled rows; a retry runs exactly those again, to completed, and the batch's webhook
 * fires batch.completed again with a new webhook-id. The same through the real openai SDK
 * on /openai/v1 (client.post, as OpenAI has no retry): cancelled, retried, completed, with
 * every line in the output file in input order.
 */
describe('batch retry on npm start', () => {
  const services = useServices();
  let service: ServiceProcess;
  let receiver: TestReceiver;
  const secret = testSecret(21);

  before(async () => {
    receiver = await startTestReceiver({ secret });
    service = await services.start({
      env: { MAX_BATCH: '8', WEBHOOK_SECRETS: secret, WEBHOOK_ALLOW_HOSTS: '127.0.0.1' },
    });
  });
  after(async () => {
    await receiver.close();
  });

  it('native: cancel mid-way, batch.completed (canceled), retry, batch.completed (completed) again', async () => {
    const base = service.baseUrl;
    const items = Array.from({ length: 60 }, (_, i) => ({
      custom_id: `item-${String(i).padStart(2, '0')}`,
      prompt: `Item ${i} says`,
      params: { max_new_tokens: 24, seed: i },
    }));
    const created = await requestJson<BatchView>(base, 'POST', '/v1/batches', {
      items,
      webhook: { url: receiver.url },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal((await requestJson(base, 'POST', `/v1/batches/${id}/cancel`)).status, 200);
    const canceled = await waitForBatch(base, id);
    assert.equal(canceled.status, 'canceled');
    assert.ok(canceled.counts.canceled > 0, JSON.stringify(canceled.counts));
    const [first] = await receiver.waitFor(1, 60_000);
    assert.equal(batchData(first).status, 'canceled');

    const unknown = await requestJson(base, 'POST', '/v1/batches/batch_missing/retry');
    assert.equal(unknown.status, 404);
    const retried = await requestJson<BatchView>(base, 'POST', `/v1/batches/${id}/retry`);
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.retries, 1);
    assert.equal(
      retried.body.counts.queued + retried.body.counts.running,
      canceled.counts.canceled,
    );
    const done = await waitForBatch(base, id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.counts, { queued: 0, running: 0, succeeded: 60, failed: 0, canceled: 0 });
    const lines = await batchResults(base, id);
    assert.equal(lines.length, 60);
    const sum = lines.reduce(
      (total, line) =>
        total +
        (line.result?.usage.prompt_tokens ?? 0) +
        (line.result?.usage.completion_tokens ?? 0),
      0,
    );
    const [, second] = await receiver.waitFor(2, 60_000);
    assert.notEqual(second?.headers['webhook-id'], first?.headers['webhook-id'], 'a new event');
    assert.equal(second?.verifyError, null);
    const data = batchData(second);
    assert.equal(data.status, 'completed');
    assert.equal(data.retries, 1);
    assert.equal(data.counts.succeeded, 60);
    assert.equal(data.usage?.total_tokens, sum, 'the payload carries the summed usage');
  });

  it('openai SDK: cancelled, retried, completed, every line in the output file in input order', async () => {
    const client: OpenAI = openAiClient(service.baseUrl);
    const lines = numberedLines(60, 24).toReversed();
    const file = await uploadLines(client, lines);
    const created = await createBatch(client, file.id);
    await client.batches.cancel(created.id);
    const cancelled = await pollBatch(client, created.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(
      (cancelled.request_counts?.failed ?? 0) > 0,
      JSON.stringify(cancelled.request_counts),
    );

    const retried = await client.post<OpenAI.Batch>(`/batches/${created.id}/retry`);
    assert.ok(['in_progress', 'completed'].includes(retried.status), retried.status);
    const done = await pollBatch(client, created.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.request_counts, { total: 60, completed: 60, failed: 0 });
    assert.equal(done.error_file_id, null);
    const output = await downloadLines(client, done.output_file_id ?? '');
    assert.deepEqual(
      output.map((line) => line.custom_id),
      lines.map((line) => JSON.parse(line).custom_id),
      'input order',
    );
    assert.equal(
      done.usage?.total_tokens,
      output.reduce((total, line) => total + (line.response?.body.usage?.total_tokens ?? 0), 0),
    );
  });
});
