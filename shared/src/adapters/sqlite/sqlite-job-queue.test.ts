import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, it } from 'node:test';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { temporaryDatabasePath } from './test-database.ts';

/** Behaviour of the SQLite queue beyond the port's contract. */
describe('SqliteJobQueue', () => {
  const toClose: Array<{ close(): unknown }> = [];
  const toRemove: Array<() => void> = [];
  afterEach(async () => {
    for (const item of toClose.splice(0)) {
      await item.close();
    }
    for (const remove of toRemove.splice(0)) {
      remove();
    }
  });

  function setUp(options: { pollIntervalMs?: number } = {}) {
    const db = temporaryDatabasePath();
    toRemove.push(db.remove);
    let nowMs = 1_000_000;
    const open = () => {
      const queue = SqliteJobQueue.open(db.path, { maxAttempts: 3, now: () => nowMs, ...options });
      toClose.push(queue);
      return queue;
    };
    return { path: db.path, open, advance: (ms: number) => (nowMs += ms) };
  }

  it('delivers in publish order, redelivered messages first', async () => {
    const { open, advance } = setUp();
    const queue = open();
    await queue.publish(['a', 'b', 'c']);
    const [a] = await queue.pull(1, 1_000, 0);
    advance(1_001);
    await queue.publish(['d']);
    const messages = await queue.pull(10, 1_000, 0);
    assert.equal(a?.jobId, 'a');
    assert.deepEqual(
      messages.map((message) => [message.jobId, message.deliveryAttempt]),
      [
        ['a', 2],
        ['b', 1],
        ['c', 1],
        ['d', 1],
      ],
    );
  });

  it('ignores ack, nack and extendLease from a delivery that was superseded', async () => {
    const { open, advance } = setUp();
    const queue = open();
    await queue.publish(['a']);
    const [stale] = await queue.pull(1, 1_000, 0);
    advance(1_001);
    const [current] = await queue.pull(1, 1_000, 0);
    assert.ok(stale && current);
    await queue.ack(stale);
    await queue.nack(stale);
    await queue.extendLease(stale, 60_000);
    assert.deepEqual(await queue.pull(1, 1_000, 0), [], 'the current lease still holds');
    advance(1_001);
    const [third] = await queue.pull(1, 1_000, 0);
    assert.equal(third?.deliveryAttempt, 3, 'the stale extension did not apply');
  });

  it('shares one file between connections: what one publishes, another pulls', async () => {
    const { open } = setUp();
    const publisher = open();
    const worker = open();
    await publisher.publish(['a']);
    assert.deepEqual(
      (await worker.pull(5, 1_000, 0)).map((message) => message.jobId),
      ['a'],
    );
    assert.equal(await publisher.depth(), 0);
  });

  it('wakes a waiting pull at once when a connection in this process publishes', async () => {
    const { open } = setUp({ pollIntervalMs: 10_000 });
    const publisher = open();
    const worker = open();
    const started = performance.now();
    const pulled = worker.pull(1, 1_000, 5_000);
    setTimeout(() => void publisher.publish(['a']), 20);
    assert.equal((await pulled)[0]?.jobId, 'a');
    assert.ok(performance.now() - started < 1_000, 'woken by the signal, not the 10 s poll');
  });

  it('finds messages written by another process by polling', async () => {
    const { path, open } = setUp({ pollIntervalMs: 20 });
    const worker = open();
    // A bare connection stands in for another process: it sends no in-process signal.
    const other = new DatabaseSync(path);
    toClose.push(other);
    const pulled = worker.pull(1, 1_000, 5_000);
    setTimeout(() => {
      other.prepare('INSERT INTO queue_messages (job_id, visible_at_ms) VALUES (?, ?)').run('x', 0);
    }, 50);
    const started = performance.now();
    assert.equal((await pulled)[0]?.jobId, 'x');
    assert.ok(performance.now() - started < 1_000);
  });

  it('close ends a waiting pull with nothing', async () => {
    const { open } = setUp();
    const queue = open();
    const pulled = queue.pull(1, 1_000, 60_000);
    await queue.close();
    assert.deepEqual(await pulled, []);
  });

  it('keeps messages and their leases across reopening', async () => {
    const { open, advance } = setUp();
    const first = open();
    await first.publish(['a', 'b']);
    const [leased] = await first.pull(1, 5_000, 0);
    assert.equal(leased?.jobId, 'a');
    await first.close();

    const second = open();
    assert.equal(await second.depth(), 1);
    advance(5_001);
    assert.deepEqual(
      (await second.pull(5, 1_000, 0)).map((message) => [message.jobId, message.deliveryAttempt]),
      [
        ['a', 2],
        ['b', 1],
      ],
    );
  });

  it('leases dead letters and hands them out again when not acked', async () => {
    const { open, advance } = setUp();
    const queue = open();
    await queue.publish(['a']);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const [message] = await queue.pull(1, 1_000, 0);
      assert.ok(message);
      await queue.nack(message);
    }
    const [dead] = await queue.pullDeadLetters(5);
    assert.equal(dead?.deliveryAttempt, 3);
    assert.deepEqual(await queue.pullDeadLetters(5), [], 'leased to the first puller');
    advance(60_001);
    const [again] = await queue.pullDeadLetters(5);
    assert.equal(again?.jobId, 'a');
    assert.ok(dead);
    await queue.ackDeadLetter(dead);
    advance(60_001);
    assert.equal((await queue.pullDeadLetters(5)).length, 1, 'a superseded ack does nothing');
  });

  it('rejects a maxAttempts below 1', () => {
    const db = temporaryDatabasePath();
    toRemove.push(db.remove);
    assert.throws(() => SqliteJobQueue.open(db.path, { maxAttempts: 0 }), RangeError);
  });
});
