import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plainParts, startLoop, waitFor } from './test-support/run-loop-harness.ts';

/** A final write that throws is retried while the lease is held, not left to the lease. */

test('a completeJob that throws is retried with back-off, renewing the lease, and the job succeeds once', async (t) => {
  const parts = plainParts({ stepMs: 1 });
  parts.store.add('c1');
  parts.store.failNext('completeJob', 3);
  let renewalsWhileSettling = 0;
  const renewLease = parts.store.renewLease;
  parts.store.renewLease = async (...args) => {
    if (parts.engine.calls.length > 0 && parts.engine.running() === 0) {
      renewalsWhileSettling++;
    }
    return renewLease(...args);
  };
  await parts.queue.publish(['c1']);
  // A 10 s lease: left to expire, the job would stay running for the whole test.
  const { loop, logger } = startLoop({
    ...parts,
    config: { leaseMs: 10_000, leaseRenewMs: 20, settleRetryFirstMs: 30, settleRetryMaxMs: 60 },
  });
  t.after(() => loop.stop());
  await waitFor('succeeded', () => parts.store.jobs.get('c1')?.status === 'succeeded');
  const writes = parts.store.writes.filter((write) => write.endsWith(':c1'));
  assert.equal(writes.filter((write) => write === 'claim:c1').length, 1, 'claimed once');
  assert.equal(writes.filter((write) => write === 'complete:c1').length, 1, 'completed once');
  assert.ok(renewalsWhileSettling > 0, 'the lease was renewed while settling');
  assert.equal(parts.engine.calls.length, 1, 'the work done is kept, not generated again');
  const retries = logger.entries.filter(
    (entry) => entry.message === 'store write failed; retrying while the lease is held',
  );
  assert.deepEqual(
    retries.map((entry) => entry.fields.retryInMs),
    [30, 60, 60],
    'doubling back-off, capped',
  );
  assert.equal(parts.queue.count('ack', 'c1'), 1);
  assert.equal(parts.queue.count('nack', 'c1'), 0);
});

test('retries stop once the lease is lost; the job is left to the store and queue', async (t) => {
  const parts = plainParts({ stepMs: 1 });
  parts.store.add('lost');
  parts.store.failNext('completeJob', 1_000);
  await parts.queue.publish(['lost']);
  const { loop, logger } = startLoop({
    ...parts,
    config: { leaseMs: 10_000, leaseRenewMs: 20, settleRetryFirstMs: 20, settleRetryMaxMs: 20 },
  });
  t.after(() => loop.stop());
  await waitFor('retrying', () =>
    logger.messages('warn').includes('store write failed; retrying while the lease is held'),
  );
  // Another worker takes the job over (our lease expired as far as the store knows).
  const job = parts.store.jobs.get('lost');
  assert.ok(job);
  parts.store.jobs.set('lost', { ...job, leaseOwner: 'worker-z' });
  await waitFor('given up', () =>
    logger
      .messages('error')
      .includes(
        'store write failed and the lease is running out; job and message left for their leases to expire',
      ),
  );
  assert.equal(parts.store.jobs.get('lost')?.leaseOwner, 'worker-z', 'the other worker’s job');
  assert.equal(parts.queue.count('ack', 'lost'), 0);
  assert.equal(parts.queue.count('nack', 'lost'), 0);
});
