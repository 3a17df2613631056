import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { batchFixture, newJobFixture } from '../../contract/job-fixtures.ts';
import { newBatchId } from '../../domain/ids.ts';
import { openDatabase } from './open-database.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';
import { temporaryDatabasePath } from './test-database.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./test-fixtures/complete-jobs.ts', import.meta.url));

describe('SQLite webhook outbox', () => {
  const tmp = temporaryDatabasePath();
  after(() => tmp.remove());

  it('two worker processes finishing one batch record exactly one batch.completed', async () => {
    const store = SqliteJobStore.open(tmp.path);
    const batchId = newBatchId();
    const items = Array.from({ length: 200 }, (_, i) =>
      newJobFixture({ batchId, customId: String(i).padStart(3, '0') }),
    );
    await store.createBatch({ batch: batchFixture(batchId, items.length), jobs: items });
    const ids = items.map((item) => item.id);
    // Both processes race for the last jobs: each takes every other id, the same tail.
    const evens = ids.filter((_, i) => i % 2 === 0);
    const odds = ids.filter((_, i) => i % 2 === 1);
    const tail = ids.slice(-10);
    await Promise.all([
      run(process.execPath, [child, tmp.path, 'w1', ...evens, ...tail]),
      run(process.execPath, [child, tmp.path, 'w2', ...odds, ...tail]),
    ]);
    const counts = await store.countBatchJobs(batchId);
    assert.equal(counts.succeeded, 200);
    const db = openDatabase(tmp.path);
    const rows = db
      .prepare("SELECT subject_id FROM webhook_events WHERE type = 'batch.completed'")
      .all();
    db.close();
    await store.close();
    assert.deepEqual(
      rows.map((row) => row.subject_id),
      [batchId],
    );
  });
});
