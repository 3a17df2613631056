import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Job } from '@warmgen/shared/domain/job.ts';
import type { WebhookEvent } from '@warmgen/shared/domain/webhook-event.ts';
import type { WebhookPayload } from '@warmgen/shared/views/webhook-payload.ts';
import {
  type DeliveryHarness,
  openDeliveryHarness,
  waitUntil,
} from './test-support/delivery-harness.ts';
import {
  type Answer,
  startTestReceiver,
  type TestReceiver,
} from './test-support/webhook-receiver.ts';

const allGenerationEvents = ['generation.completed', 'generation.failed', 'generation.canceled'];

describe('webhook delivery worker (SQLite outbox and queue, real HTTP)', () => {
  let harness: DeliveryHarness;
  const receivers: TestReceiver[] = [];
  async function receiver(answer?: (n: number) => Answer, port?: number) {
    const started = await startTestReceiver({
      secret: harness.secret,
      ...(answer ? { answer } : {}),
      ...(port ? { port } : {}),
    });
    receivers.push(started);
    return started;
  }
  const settled = (subjectId: string, timeoutMs = 10_000) =>
    waitUntil(
      async () => {
        const event = await harness.events.getEventFor(subjectId);
        return event && event.state !== 'pending' ? event : undefined;
      },
      timeoutMs,
      `the event of ${subjectId} to settle`,
    );

  afterEach(async () => {
    await harness.close();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it('delivers a signed event the receiver verifies over the raw body', async () => {
    harness = openDeliveryHarness();
    const hook = await receiver();
    // Finished before any delivery worker runs: the outbox keeps it.
    const job = await harness.finishJob({ url: hook.url, events: allGenerationEvents });
    harness.startWorker();
    const [request] = await hook.waitFor(1);
    const event = await settled(job.id);
    assert.equal(request?.verifyError, null);
    const payload = request?.verified as WebhookPayload;
    assert.equal(payload.type, 'generation.completed');
    assert.equal(payload.timestamp, new Date(job.finishedAtMs ?? 0).toISOString());
    assert.equal(payload.data.id, job.id);
    assert.equal(payload.data.status, 'succeeded');
    assert.equal('webhook_delivery' in payload.data, false);
    assert.equal(request?.headers['webhook-id'], event.id);
    assert.equal(event.state, 'delivered');
    assert.deepEqual(
      event.attempts.map((a) => [a.statusCode, a.error]),
      [[204, null]],
    );
  });

  it('sends generation.failed and generation.canceled too', async () => {
    harness = openDeliveryHarness();
    const hook = await receiver();
    harness.startWorker();
    const failed = await harness.finishJob(
      { url: hook.url, events: allGenerationEvents },
      'failed',
    );
    const canceled = await harness.finishJob(
      { url: hook.url, events: allGenerationEvents },
      'canceled',
    );
    const requests = await hook.waitFor(2);
    const byId = new Map(
      requests.map((r) => [(r.verified as WebhookPayload).data.id, r.verified as WebhookPayload]),
    );
    assert.equal(byId.get(failed.id)?.type, 'generation.failed');
    assert.equal(byId.get(canceled.id)?.type, 'generation.canceled');
  });

  it('a receiver down for a while gets the event later, with the same webhook-id', async () => {
    harness = openDeliveryHarness();
    const probe = await receiver();
    const port = probe.port;
    await probe.close();
    receivers.length = 0;
    harness.startWorker({ retryScheduleMs: [0, 150, 150, 150, 150, 150, 150, 150] });
    const job = await harness.finishJob({
      url: `http://127.0.0.1:${port}/hooks`,
      events: allGenerationEvents,
    });
    // Connection refused twice or more, then up but answering 503 once, then 200.
    await waitUntil(
      async () =>
        ((await harness.events.getEventFor(job.id))?.attempts.length ?? 0) >= 2 || undefined,
      10_000,
      'two refused attempts',
    );
    const hook = await receiver((n) => ({ status: n === 0 ? 503 : 200 }), port);
    const event = await settled(job.id);
    assert.equal(event.state, 'delivered');
    const codes = event.attempts.map((a) => a.statusCode);
    assert.deepEqual(codes.slice(-2), [503, 200]);
    assert.ok(codes.slice(0, -2).every((code) => code === null));
    assert.match(event.attempts[0]?.error ?? '', /ECONNREFUSED/);
    assert.equal(hook.received.length, 2);
    assert.deepEqual(
      hook.received.map((r) => r.headers['webhook-id']),
      [event.id, event.id],
    );
    assert.ok(hook.received.every((r) => r.verifyError === null));
    // Each attempt waited its step of the schedule (jitter is at most 20 %).
    const gaps = event.attempts.slice(1).map((a, i) => a.atMs - (event.attempts[i]?.atMs ?? 0));
    assert.ok(
      gaps.every((gap) => gap >= 150 * 0.8 - 5),
      String(gaps),
    );
  });

  it('times out a slow receiver and retries it', async () => {
    harness = openDeliveryHarness();
    const hook = await receiver((n) =>
      n === 0 ? { status: 200, delayMs: 1_500 } : { status: 200 },
    );
    harness.startWorker({ timeoutMs: 300 });
    const job = await harness.finishJob({ url: hook.url, events: allGenerationEvents });
    const event = await settled(job.id);
    assert.equal(event.state, 'delivered');
    assert.match(event.attempts[0]?.error ?? '', /timeout: no answer within 300 ms/);
    assert.equal(event.attempts[0]?.statusCode, null);
    assert.ok((event.attempts[0]?.latencyMs ?? 0) >= 290);
    assert.equal(event.attempts[1]?.statusCode, 200);
    assert.equal(hook.received[0]?.headers['webhook-id'], hook.received[1]?.headers['webhook-id']);
  });

  it('410 Gone stops the retries', async () => {
    harness = openDeliveryHarness();
    const hook = await receiver(() => ({ status: 410 }));
    harness.startWorker({ retryScheduleMs: [0, 50, 50, 50] });
    const job = await harness.finishJob({ url: hook.url, events: allGenerationEvents });
    const event = await settled(job.id);
    assert.equal(event.state, 'gone');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(hook.received.length, 1);
    assert.equal((await harness.events.getEvent(event.id))?.attempts.length, 1);
  });

  it('dead-letters after the schedule; redelivery starts it again', async () => {
    harness = openDeliveryHarness();
    let healthy = false;
    const hook = await receiver(() => ({ status: healthy ? 200 : 500 }));
    harness.startWorker({ retryScheduleMs: [0, 50, 50] });
    const job = await harness.finishJob({ url: hook.url, events: allGenerationEvents });
    const dead = await settled(job.id);
    assert.equal(dead.state, 'failed');
    assert.equal(dead.attempts.length, 3);
    healthy = true;
    const redelivered = await harness.events.redeliver(job.id, Date.now());
    assert.equal(redelivered?.restarted, true);
    const delivered = await settled(job.id);
    assert.equal(delivered.state, 'delivered');
    assert.deepEqual(
      delivered.attempts.map((a) => a.statusCode),
      [500, 500, 500, 200],
    );
    const ids = new Set(hook.received.map((r) => r.headers['webhook-id']));
    assert.deepEqual([...ids], [dead.id]);
    assert.equal(new Set(hook.received.map((r) => r.rawBody)).size, 1, 'the same body every time');
  });

  it('honours Retry-After', async () => {
    harness = openDeliveryHarness();
    const hook = await receiver((n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    harness.startWorker({ retryScheduleMs: [0, 10, 10] });
    const job = await harness.finishJob({ url: hook.url, events: allGenerationEvents });
    const event = await settled(job.id);
    const gap = (event.attempts[1]?.atMs ?? 0) - (event.attempts[0]?.atMs ?? 0);
    assert.ok(gap >= 1_000, `second attempt came ${gap} ms after the first`);
  });

  it('makes 200 deliveries concurrently', async () => {
    harness = openDeliveryHarness();
    const hook = await receiver(() => ({ status: 200, delayMs: 200 }));
    const jobs: Job[] = [];
    for (let i = 0; i < 200; i += 1) {
      jobs.push(await harness.finishJob({ url: hook.url, events: allGenerationEvents }));
    }
    const started = performance.now();
    harness.startWorker({ concurrency: 200 });
    const requests = await hook.waitFor(200, 20_000);
    const elapsedMs = performance.now() - started;
    // One at a time they would take 40 s; at 200 in flight, a few hundred ms.
    assert.ok(elapsedMs < 10_000, `200 deliveries took ${Math.round(elapsedMs)} ms`);
    assert.ok(requests.every((r) => r.verifyError === null));
    const ids = new Set(requests.map((r) => (r.verified as WebhookPayload).data.id));
    assert.deepEqual([...ids].sort(), jobs.map((j) => j.id).sort());
    await waitUntil(async () => {
      for (const job of jobs) {
        if ((await harness.events.getEventFor(job.id))?.state !== 'delivered') {
          return undefined;
        }
      }
      return true;
    });
  });

  it('sends batch.completed once for a batch, with the batch view', async () => {
    harness = openDeliveryHarness();
    const hook = await receiver();
    harness.startWorker();
    const batchId = await harness.finishBatch({ url: hook.url, events: ['batch.completed'] }, 20);
    const event = await settled(batchId);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(hook.received.length, 1);
    const payload = hook.received[0]?.verified as WebhookPayload & {
      data: { status: string; counts: { succeeded: number } };
    };
    assert.equal(payload.type, 'batch.completed');
    assert.equal(payload.data.id, batchId);
    assert.equal(payload.data.status, 'completed');
    assert.equal(payload.data.counts.succeeded, 20);
    assert.equal(hook.received[0]?.headers['webhook-id'], event.id);
  });

  it('hands out again an event whose message was lost', async () => {
    harness = openDeliveryHarness();
    const hook = await receiver();
    const job = await harness.finishJob({ url: hook.url, events: allGenerationEvents });
    const [event] = await harness.events.listUndispatched(1);
    assert.ok(event);
    // A dispatcher that died between marking the event and publishing its message.
    await harness.events.markDispatched(event.id, '{"lost":true}', Date.now());
    harness.startWorker({ staleAfterMs: 200, staleSweepIntervalMs: 100 });
    const delivered: WebhookEvent = await settled(job.id);
    assert.equal(delivered.state, 'delivered');
    assert.equal(hook.received[0]?.rawBody, '{"lost":true}');
    assert.ok(harness.logger.messages('warn').includes('webhook events handed out again'));
  });
});
