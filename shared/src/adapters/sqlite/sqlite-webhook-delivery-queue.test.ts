import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SqliteWebhookDeliveryQueue } from './sqlite-webhook-delivery-queue.ts';
import { temporaryDatabasePath } from './test-database.ts';

describe('SqliteWebhookDeliveryQueue', () => {
  let clock = 1_000_000;
  let tmp: ReturnType<typeof temporaryDatabasePath>;
  let queue: SqliteWebhookDeliveryQueue;
  beforeEach(() => {
    clock = 1_000_000;
    tmp = temporaryDatabasePath();
    queue = SqliteWebhookDeliveryQueue.open(tmp.path, { now: () => clock });
  });
  afterEach(async () => {
    await queue.close();
    tmp.remove();
  });

  it('leases what it hands out; an unacked message comes back after its lease', async () => {
    await queue.publish(['evt_a', 'evt_b']);
    const first = await queue.pull(10, 1_000, 0);
    assert.deepEqual(
      first.map((m) => m.eventId),
      ['evt_a', 'evt_b'],
    );
    assert.deepEqual(await queue.pull(10, 1_000, 0), []);
    clock += 1_000;
    const again = await queue.pull(1, 1_000, 0);
    assert.deepEqual(
      again.map((m) => m.eventId),
      ['evt_a'],
    );
    // The first delivery's handle is stale now: acking it does nothing.
    await queue.ack(first[0] as (typeof first)[0]);
    clock += 1_000;
    assert.equal((await queue.pull(10, 1_000, 0)).length, 2);
  });

  it('retryLater brings a message back after the delay, and ack removes it', async () => {
    await queue.publish(['evt_a']);
    const [message] = await queue.pull(1, 60_000, 0);
    assert.ok(message);
    await queue.retryLater(message, 5_000);
    clock += 4_999;
    assert.deepEqual(await queue.pull(1, 60_000, 0), []);
    clock += 1;
    const [back] = await queue.pull(1, 60_000, 0);
    assert.equal(back?.eventId, 'evt_a');
    assert.ok(back);
    await queue.ack(back);
    clock += 120_000;
    assert.deepEqual(await queue.pull(1, 60_000, 0), []);
  });

  it('a waiting pull wakes up on a publish in this process', async () => {
    const real = SqliteWebhookDeliveryQueue.open(tmp.path);
    const other = SqliteWebhookDeliveryQueue.open(tmp.path, { pollIntervalMs: 60_000 });
    try {
      const started = performance.now();
      const pulled = other.pull(1, 1_000, 5_000);
      setTimeout(() => void real.publish(['evt_now']), 20);
      const [message] = await pulled;
      assert.equal(message?.eventId, 'evt_now');
      assert.ok(performance.now() - started < 2_000);
    } finally {
      await real.close();
      await other.close();
    }
  });
});
