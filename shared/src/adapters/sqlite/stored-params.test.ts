import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newJobFixture } from '../../contract/job-fixtures.ts';
import { resolveGenerationParams } from '../../domain/generation-params.ts';
import { openDatabase } from './open-database.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';
import { temporaryDatabasePath } from './test-database.ts';

it('a job row written before a parameter existed reads back with its default, also on an idempotent replay', async (t) => {
  const db = temporaryDatabasePath();
  t.after(db.remove);
  const params = resolveGenerationParams({ max_new_tokens: 9, seed: 1 });
  const job = newJobFixture({ params, idempotencyKey: 'retry-me' });
  const store = SqliteJobStore.open(db.path);
  await store.createJobs([job]);
  // What a version without `stop` (and with a since-removed option) would have written.
  const raw = openDatabase(db.path);
  const { stop: _stop, ...older } = params;
  raw
    .prepare('UPDATE jobs SET params = ? WHERE id = ?')
    .run(JSON.stringify({ ...older, retired_option: 1 }), job.id);
  raw.close();

  assert.deepEqual((await store.getJob(job.id))?.params, params);
  const [replayed] = await store.createJobs([{ ...job, id: 'job_other' }]);
  assert.equal(replayed?.id, job.id);
  assert.deepEqual(replayed?.params, params);
  await store.close();
});
