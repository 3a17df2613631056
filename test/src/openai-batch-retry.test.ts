import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { completeAsWorker, type RunningApi, startApi } from './api-test-harness.ts';
import {
  completionLine,
  createBatch,
  downloadLines,
  openAiClient,
  uploadLines,
} from './openai/batch-lines.ts';

/**
 * POST /openai/v1/batches/{id}/retry through the real openai SDK (client.post: OpenAI has
 * no retry), on the API alone: the test plays the worker through the store, so which line
 * fails is chosen, not hoped for. The files are read when downloaded, in input order.
 */
describe('/openai/v1 batch retry with the openai SDK', () => {
  let api: RunningApi;
  let client: OpenAI;
  /** Added to the API's clock, to pass a batch's 24 h window. */
  let clockSkewMs = 0;

  before(async () => {
    api = await startApi({ now: () => Date.now() + clockSkewMs });
    client = openAiClient(api.baseUrl);
  });
  after(async () => {
    await api.close();
  });

  /** Input order that is not custom_id order. */
  const customIds = ['zeta', 'alpha', 'mid', 'beta'];
  const retryBatch = (id: string) => client.post<OpenAI.Batch>(`/batches/${id}/retry`);

  async function createRetryable() {
    const lines = customIds.map((id, seed) =>
      completionLine(id, { prompt: `Prompt ${id}`, max_tokens: 4, seed }),
    );
    const file = await uploadLines(client, lines);
    const batch = await createBatch(client, file.id);
    const jobs = await api.store.listBatchJobs({
      batchId: batch.id,
      afterCustomId: null,
      limit: 10,
    });
    const idOf = (customId: string) => jobs.find((job) => job.customId === customId)?.id ?? '';
    return { batch, idOf };
  }

  it('retries the failed and cancelled lines: completed, both files in input order, usage summed again', async () => {
    const { batch, idOf } = await createRetryable();
    await completeAsWorker(api.store, idOf('zeta'), 'zeta text');
    await completeAsWorker(api.store, idOf('mid'), 'mid text');
    await api.store.failJob({
      id: idOf('alpha'),
      error: { code: 'oom', message: 'x' },
      nowMs: Date.now(),
    });
    await assert.rejects(retryBatch(batch.id), (error: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(error.status, 409);
      assert.equal(error.code, 'conflict');
      assert.match(error.message, /status in_progress/);
      return true;
    });
    await client.batches.cancel(batch.id);
    const cancelled = await client.batches.retrieve(batch.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.deepEqual(cancelled.request_counts, { total: 4, completed: 2, failed: 2 });
    assert.equal(cancelled.usage?.total_tokens, 14, 'two lines of 3 + 4 tokens');
    const errors = await downloadLines(client, cancelled.error_file_id ?? '');
    assert.deepEqual(
      errors.map((line) => [line.custom_id, line.error?.code]),
      [
        ['alpha', 'oom'],
        ['beta', 'batch_cancelled'],
      ],
      'input order',
    );

    const retried = await retryBatch(batch.id);
    assert.equal(retried.id, batch.id);
    assert.equal(retried.status, 'in_progress');
    assert.deepEqual(retried.request_counts, { total: 4, completed: 2, failed: 0 });
    assert.equal(retried.cancelling_at, null);
    assert.equal(retried.usage, null, 'summed again at the end');
    assert.equal(retried.output_file_id, null);

    await completeAsWorker(api.store, idOf('alpha'), 'alpha text, again');
    await completeAsWorker(api.store, idOf('beta'), 'beta text, again');
    const done = await client.batches.retrieve(batch.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.request_counts, { total: 4, completed: 4, failed: 0 });
    assert.equal(done.error_file_id, null, 'no line failed this time');
    assert.deepEqual(done.usage, {
      input_tokens: 12,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 16,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 28,
    });
    const output = await downloadLines(client, done.output_file_id ?? '');
    assert.deepEqual(
      output.map((line) => [line.custom_id, line.response?.body.choices[0]?.text]),
      [
        ['zeta', 'zeta text'],
        ['alpha', 'alpha text, again'],
        ['mid', 'mid text'],
        ['beta', 'beta text, again'],
      ],
      'the regenerated output file, in input order',
    );
    assert.ok(output.every((line) => line.response?.body.usage?.total_tokens === 7));

    const native = await fetch(`${api.baseUrl}/v1/batches/${batch.id}`).then((r) => r.json());
    assert.equal(native.retries, 1, 'one batch, seen through both surfaces');
    assert.deepEqual(native.usage, { prompt_tokens: 12, completion_tokens: 16, total_tokens: 28 });
    await assert.rejects(retryBatch(batch.id), (error: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(error.status, 409);
      assert.match(error.message, /no failed or canceled items/);
      return true;
    });
  });

  it('an expired batch retried runs in a new window', async () => {
    const { batch, idOf } = await createRetryable();
    await completeAsWorker(api.store, idOf('zeta'), 'zeta text');
    clockSkewMs = 25 * 3600 * 1000;
    try {
      const expired = await client.batches.retrieve(batch.id);
      assert.equal(expired.status, 'expired');
      const retried = await retryBatch(batch.id);
      assert.equal(retried.status, 'in_progress');
      assert.equal(retried.expired_at, null);
      assert.ok((retried.expires_at ?? 0) > (expired.expires_at ?? 0), 'a new 24 h window');
      for (const customId of ['alpha', 'mid', 'beta']) {
        await completeAsWorker(api.store, idOf(customId), `${customId} text`);
      }
      assert.equal((await client.batches.retrieve(batch.id)).status, 'completed');
    } finally {
      clockSkewMs = 0;
    }
  });

  it('404 in OpenAI’s shape for an unknown batch', async () => {
    await assert.rejects(
      retryBatch('batch_missing'),
      (error: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(error.status, 404);
        assert.equal(error.code, 'not_found');
        assert.equal(error.type, 'invalid_request_error');
        return true;
      },
    );
  });
});
