import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DeliveryMessage, WebhookDeliveryQueue } from '../ports/webhook-delivery-queue.ts';

export interface WebhookDeliveryQueueHarness {
  queue: WebhookDeliveryQueue;
  cleanup(): Promise<void>;
}

/** Real time: leases and delays are whole seconds, as Pub/Sub counts them. */
const leaseMs = 2_000;

/**
 * What every WebhookDeliveryQueue adapter must do, in real time (Pub/Sub's emulator keeps
 * its own clock): deliver what was published, lease it, bring it back after the lease or
 * after retryLater's delay, forget it once acked.
 */
export function describeWebhookDeliveryQueueContract(
  name: string,
  open: () => Promise<WebhookDeliveryQueueHarness>,
) {
  describe(`WebhookDeliveryQueue contract: ${name}`, () => {
    let harness: WebhookDeliveryQueueHarness;
    beforeEach(async () => {
      harness = await open();
    });
    afterEach(() => harness.cleanup());

    async function pullAll(count: number, waitMs = 5_000): Promise<DeliveryMessage[]> {
      const got: DeliveryMessage[] = [];
      const deadline = Date.now() + waitMs;
      while (got.length < count && Date.now() < deadline) {
        got.push(...(await harness.queue.pull(count - got.length, leaseMs, 500)));
      }
      return got;
    }

    it('delivers each published id, leased: nobody else gets it meanwhile', async () => {
      await harness.queue.publish(['evt_a', 'evt_b', 'evt_c']);
      const got = await pullAll(3);
      assert.deepEqual(got.map((m) => m.eventId).sort(), ['evt_a', 'evt_b', 'evt_c']);
      assert.deepEqual(await harness.queue.pull(10, leaseMs, 500), []);
      await Promise.all(got.map((m) => harness.queue.ack(m)));
    });

    it('brings an unacked message back after its lease, and forgets an acked one', async () => {
      await harness.queue.publish(['evt_kept', 'evt_done']);
      const got = await pullAll(2);
      const done = got.find((m) => m.eventId === 'evt_done');
      assert.ok(done);
      await harness.queue.ack(done);
      const again = await pullAll(1, leaseMs + 8_000);
      assert.deepEqual(
        again.map((m) => m.eventId),
        ['evt_kept'],
      );
      await harness.queue.ack(again[0] as DeliveryMessage);
      assert.deepEqual(await harness.queue.pull(10, leaseMs, leaseMs + 1_000), []);
    });

    it('retryLater brings it back after the delay, not before; 0 means now', async () => {
      await harness.queue.publish(['evt_later']);
      const [message] = await pullAll(1);
      assert.ok(message);
      const deferredAt = Date.now();
      await harness.queue.retryLater(message, 3_000);
      assert.deepEqual(await harness.queue.pull(1, 30_000, 1_500), [], 'too early');
      const [back] = await pullAll(1, 10_000);
      assert.equal(back?.eventId, 'evt_later');
      assert.ok(Date.now() - deferredAt >= 2_500, `back after ${Date.now() - deferredAt} ms`);
      await harness.queue.retryLater(back as DeliveryMessage, 0);
      const [now] = await pullAll(1, 3_000);
      assert.equal(now?.eventId, 'evt_later');
      await harness.queue.ack(now as DeliveryMessage);
    });
  });
}
