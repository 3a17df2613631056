import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '@warmgen/shared/adapters/sqlite/open-database.ts';
import { requestJson, submitJob, waitForJob } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';

/**
 * A deploy that adds a parameter: jobs accepted by the version before it are stored
 * without it. They must still run, and a client retrying such a submission with the same
 * Idempotency-Key (not knowing the new parameter either) must get its job, not a 409.
 * The "older version" is simulated by removing the parameter from the stored row.
 */
describe('jobs stored before a parameter was added', () => {
  const services = useServices();

  it('run, and an idempotent retry across the change is a replay; a stored value out of the limits fails with the API words', async () => {
    const dataDir = await services.dataDir();
    const input = { prompt: 'Before the deploy,', params: { max_new_tokens: 6, seed: 11 } };
    const key = { 'idempotency-key': 'across-the-deploy' };

    // The API alone: the jobs stay queued while no worker runs.
    const api = await services.start({ dataDir, main: 'api', env: { AUTH_MODE: 'open' } });
    const older = await submitJob(api.baseUrl, input, key);
    const outOfLimits = await submitJob(api.baseUrl, { prompt: 'Hot', params: { seed: 1 } });
    assert.deepEqual(await api.stop(), { code: 0, signal: null });

    const db = openDatabase(api.databasePath);
    try {
      const rewrite = db.prepare('UPDATE jobs SET params = ? WHERE id = ?');
      const { repetition_penalty: _added, stop: _alsoAdded, ...stored } = older.params;
      rewrite.run(JSON.stringify(stored), older.id);
      rewrite.run(JSON.stringify({ ...outOfLimits.params, temperature: 9 }), outOfLimits.id);
    } finally {
      db.close();
    }

    const service = await services.start({ dataDir });
    const retry = await fetch(`${service.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...key },
      body: JSON.stringify(input),
    });
    const retried = (await retry.json()) as { id: string };
    // 202 while the job is queued or running, 200 once it finished: the worker may be first.
    assert.ok(
      retry.status === 202 || retry.status === 200,
      `${retry.status} ${JSON.stringify(retried)}`,
    );
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(retried.id, older.id);

    const done = await waitForJob(service.baseUrl, older.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.result?.usage.completion_tokens, 6);
    assert.equal(done.params.repetition_penalty, 1);

    const refused = await waitForJob(service.baseUrl, outOfLimits.id);
    assert.equal(refused.status, 'failed');
    assert.match(refused.error?.message ?? '', /temperature must be <= 5/);
    // The same words the API answers with at the edge.
    const atEdge = await requestJson<{ error: { message: string } }>(
      service.baseUrl,
      'POST',
      '/v1/generations',
      { prompt: 'Hot', params: { temperature: 9 } },
    );
    assert.equal(atEdge.status, 400);
    assert.match(atEdge.body.error.message, /params\/temperature must be <= 5/);
    assert.deepEqual(await service.stop(), { code: 0, signal: null });
  });
});
