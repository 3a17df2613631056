import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { WebhookDeliveryView } from '@warmgen/shared/views/webhook-delivery-view.ts';
import type { WebhookPayload } from '@warmgen/shared/views/webhook-payload.ts';
import {
  type ReceivedWebhook,
  startTestReceiver,
  type TestReceiver,
} from '@warmgen/worker/webhooks/test-support/webhook-receiver.ts';
import { type BatchView, type JobView, requestJson } from './e2e/service-client.ts';
import { useGcpStack, workerReady } from './gcp-stack/use-gcp-stack.ts';

/**
 * Webhooks on the production wiring: the API and a worker as separate processes on the
 * Pub/Sub and Firestore emulators. The job's terminal transition records its event in
 * Firestore, the worker's delivery loop takes it off the webhook topic and POSTs it, signed
 * with the stack's WEBHOOK_SECRETS, to a loopback receiver (allowed by WEBHOOK_ALLOW_HOSTS,
 * as `npm run dev:gcp` allows it) that verifies it with `standardwebhooks` over the raw body.
 */
const stack = useGcpStack();
const receivers: TestReceiver[] = [];
after(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

const allowLoopback = { WEBHOOK_ALLOW_HOSTS: 'loopback' };
const params = { max_new_tokens: 6, temperature: 0 };

const payloadOf = (request: ReceivedWebhook) => request.verified as WebhookPayload;

/** A receiver, the API and a ready worker on a fresh namespace, and a keyed JSON call. */
async function startApiAndWorker() {
  const { secrets, namespace } = await stack();
  const ns = await namespace();
  const receiver = await startTestReceiver({ secret: secrets.webhookSecret });
  receivers.push(receiver);
  const [api, worker] = await Promise.all([
    ns.startApi(allowLoopback),
    ns.spawnWorker('worker', allowLoopback),
  ]);
  await workerReady(worker);
  const headers = { authorization: `Bearer ${secrets.apiKey}` };
  const call = <T>(method: string, path: string, body?: unknown) =>
    requestJson<T>(api.baseUrl, method, path, body, headers);
  return { receiver, api, worker, call };
}

describe('webhooks on the Google Cloud stack, end to end', () => {
  it('a job and a 2-item batch: a verified generation.completed, one batch.completed, the delivery recorded', async () => {
    const { receiver, api, worker, call } = await startApiAndWorker();

    const submitted = await call<JobView>('POST', '/v1/generations', {
      prompt: 'The hook said',
      params,
      webhook: { url: receiver.url },
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const batch = await call<BatchView>('POST', '/v1/batches', {
      items: [0, 1].map((i) => ({ custom_id: `c${i}`, prompt: `Item ${i}`, params })),
      webhook: { url: receiver.url },
    });
    assert.equal(batch.status, 202, JSON.stringify(batch.body));

    // The job's event and the batch's; the batch items asked for none of their own.
    await receiver.waitFor(2, 45_000);
    for (const request of receiver.received) {
      assert.equal(request.verifyError, null, 'every request verifies with the stack secret');
    }
    const types = receiver.received.map((request) => payloadOf(request).type).sort();
    assert.deepEqual(types, ['batch.completed', 'generation.completed']);

    const jobEvent = receiver.received.find((r) => payloadOf(r).type === 'generation.completed');
    assert.ok(jobEvent);
    const jobData = payloadOf(jobEvent).data as JobView;
    assert.equal(jobData.id, submitted.body.id);
    assert.equal(jobData.status, 'succeeded');
    assert.ok((jobData.result?.text.length ?? 0) > 0, 'the payload carries the result');

    const batchEvent = receiver.received.find((r) => payloadOf(r).type === 'batch.completed');
    assert.ok(batchEvent);
    const batchData = payloadOf(batchEvent).data as BatchView;
    assert.equal(batchData.id, batch.body.id);
    assert.equal(batchData.status, 'completed');
    assert.equal(batchData.counts.succeeded, 2);

    // The view records the delivered attempt once the worker wrote it back.
    const delivery = await waitForDelivered(async () => {
      const view = await call<JobView & { webhook_delivery?: WebhookDeliveryView | null }>(
        'GET',
        `/v1/generations/${submitted.body.id}`,
      );
      return view.body.webhook_delivery;
    });
    assert.equal(delivery.type, 'generation.completed');
    assert.equal(delivery.event_id, jobEvent.headers['webhook-id']);
    assert.deepEqual(
      delivery.attempts.map((attempt) => [attempt.status_code, attempt.error]),
      [[204, null]],
    );

    // No duplicate arrives late: still exactly one batch.completed and two requests in all.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(
      receiver.received.filter((r) => payloadOf(r).type === 'batch.completed').length,
      1,
    );
    assert.equal(receiver.received.length, 2);

    assert.deepEqual(await worker.stop(), { code: 0, signal: null });
    assert.deepEqual(await api.process.stop(), { code: 0, signal: null });
  });

  it('a batch canceled mid-way and retried: its canceled items run, batch.completed again with a new id', async () => {
    const { receiver, api, worker, call } = await startApiAndWorker();
    const waitForEnd = async (id: string) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const { body } = await call<BatchView>('GET', `/v1/batches/${id}`);
        if (body.status === 'completed' || body.status === 'canceled') {
          return body;
        }
        assert.ok(Date.now() < deadline, `batch ${id} still ${body.status}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    const batch = await call<BatchView>('POST', '/v1/batches', {
      items: Array.from({ length: 12 }, (_, i) => ({
        custom_id: `c${String(i).padStart(2, '0')}`,
        prompt: `Item ${i}`,
        params: { max_new_tokens: 24, seed: i },
      })),
      webhook: { url: receiver.url },
    });
    assert.equal(batch.status, 202, JSON.stringify(batch.body));
    const id = batch.body.id;
    assert.equal((await call('POST', `/v1/batches/${id}/cancel`)).status, 200);
    const canceled = await waitForEnd(id);
    assert.equal(canceled.status, 'canceled');
    assert.ok(canceled.counts.canceled > 0, JSON.stringify(canceled.counts));
    const [first] = await receiver.waitFor(1, 45_000);
    assert.ok(first);
    assert.equal((payloadOf(first).data as BatchView).status, 'canceled');

    const retried = await call<BatchView>('POST', `/v1/batches/${id}/retry`);
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.retries, 1);
    assert.equal((await call('POST', `/v1/batches/${id}/retry`)).status, 409, 'still running');
    const done = await waitForEnd(id);
    assert.equal(done.status, 'completed');
    assert.equal(done.counts.succeeded, 12);
    assert.ok(done.usage && done.usage.total_tokens > 0);

    const [, second] = await receiver.waitFor(2, 45_000);
    assert.ok(second);
    assert.equal(second.verifyError, null);
    assert.notEqual(second.headers['webhook-id'], first.headers['webhook-id'], 'a new event');
    const data = payloadOf(second).data as BatchView;
    assert.equal(data.status, 'completed');
    assert.equal(data.retries, 1);
    assert.equal(data.counts.succeeded, 12);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(receiver.received.length, 2, 'one batch.completed per run, no more');

    assert.deepEqual(await worker.stop(), { code: 0, signal: null });
    assert.deepEqual(await api.process.stop(), { code: 0, signal: null });
  });
});

async function waitForDelivered(
  read: () => Promise<WebhookDeliveryView | null | undefined>,
  timeoutMs = 15_000,
): Promise<WebhookDeliveryView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const delivery = await read();
    if (delivery?.state === 'delivered') {
      return delivery;
    }
    if (Date.now() > deadline) {
      throw new Error(`the delivery was never recorded as delivered: ${JSON.stringify(delivery)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
