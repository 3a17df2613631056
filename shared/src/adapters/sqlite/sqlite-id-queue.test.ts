import assert from 'node:assert/strict';
import { it } from 'node:test';
import { openDatabase } from './open-database.ts';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { SqliteWebhookDeliveryQueue } from './sqlite-webhook-delivery-queue.ts';
import { temporaryDatabasePath } from './test-database.ts';

/**
 * Both embedded queues wrap one id-queue core; these are the behaviours that had drifted
 * apart while each queue had its own copy.
 */
const queues = {
  job: (path: string) => new SqliteJobQueue(openDatabase(path), { maxAttempts: 3 }),
  webhook: (path: string) => new SqliteWebhookDeliveryQueue(openDatabase(path)),
};

for (const [name, open] of Object.entries(queues)) {
  it(`${name} queue: a pull waiting when the queue is closed returns nothing, without an error`, async (t) => {
    const db = temporaryDatabasePath();
    t.after(db.remove);
    const queue = open(db.path);
    const startedAt = performance.now();
    const waiting = queue.pull(4, 1_000, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await queue.close();
    assert.deepEqual(await waiting, []);
    assert.ok(performance.now() - startedAt < 5_000, 'it did not wait out its 10 s');
  });
}
