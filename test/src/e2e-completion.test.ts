import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  batchResults,
  getBatch,
  mapConcurrently,
  submitBatch,
  submitJob,
  waitForBatch,
  waitForJob,
} from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import type { ServiceProcess } from './e2e/service-process.ts';
import { readStore } from './e2e/store-inspection.ts';

/**
 * The real `npm start` process over real HTTP: many jobs and a large batch all complete,
 * and a seed fixes the text whichever way the prompt arrives.
 */
describe('npm start completes every job it accepts', () => {
  const services = useServices();
  let service: ServiceProcess;

  before(async () => {
    service = await services.start({ env: { MAX_BATCH: '32' } });
  });

  it('completes 100 single jobs submitted at once', async () => {
    const prompts = Array.from({ length: 100 }, (_, i) => `Single job number ${i}:`);
    const accepted = await mapConcurrently(prompts, 20, (prompt, i) =>
      submitJob(service.baseUrl, { prompt, params: { max_new_tokens: 8, seed: i } }),
    );
    assert.equal(new Set(accepted.map((job) => job.id)).size, 100, 'ids are unique');
    for (const job of accepted) {
      assert.ok(['queued', 'running', 'succeeded'].includes(job.status), job.status);
    }

    const finished = await mapConcurrently(accepted, 20, (job) =>
      waitForJob(service.baseUrl, job.id, 120_000),
    );
    for (const [i, job] of finished.entries()) {
      assert.equal(job.status, 'succeeded', `job ${i}: ${JSON.stringify(job.error)}`);
      assert.equal(job.prompt, prompts[i]);
      assert.ok(job.result, `job ${i} has a result`);
      assert.equal(typeof job.result.text, 'string');
      assert.ok(job.result.usage.completion_tokens >= 1);
      assert.ok(job.result.usage.completion_tokens <= 8);
      assert.ok(job.result.usage.prompt_tokens >= 1);
      if (job.result.usage.completion_tokens < 8) {
        assert.equal(job.result.finish_reason, 'eos');
      }
      assert.equal(job.attempts, 1);
    }
  });

  it('completes a 500-item batch: right counts, results in custom_id order, every item', async () => {
    // Zero-padded ids sort the same as bytes and as numbers. Sent in a scrambled order
    // (i * 7919 mod 500 visits every index once) so the sorted results are not a given.
    const ids = Array.from({ length: 500 }, (_, i) => `item-${String(i).padStart(4, '0')}`);
    const scrambled = ids.map((_, i) => ids[(i * 7919) % 500] as string);
    assert.equal(new Set(scrambled).size, 500);
    const items = scrambled.map((customId) => ({
      custom_id: customId,
      prompt: `Batch prompt for ${customId}`,
      params: { max_new_tokens: 4, seed: 1 },
    }));
    const accepted = await submitBatch(service.baseUrl, items);
    assert.equal(accepted.total, 500);
    assert.equal(accepted.counts.queued, 500);

    const done = await waitForBatch(service.baseUrl, accepted.id, 180_000);
    assert.equal(done.status, 'completed');
    assert.equal(done.total, 500);
    assert.deepEqual(done.counts, {
      queued: 0,
      running: 0,
      succeeded: 500,
      failed: 0,
      canceled: 0,
    });

    const lines = await batchResults(service.baseUrl, accepted.id);
    assert.equal(lines.length, 500);
    assert.deepEqual(
      lines.map((line) => line.custom_id),
      ids,
    );
    assert.equal(new Set(lines.map((line) => line.id)).size, 500);
    for (const line of lines) {
      assert.equal(line.status, 'succeeded', line.custom_id);
      assert.equal(line.error, null);
      assert.ok(line.result, `${line.custom_id} has a result`);
      assert.ok(line.result.usage.completion_tokens >= 1);
      assert.ok(line.result.usage.completion_tokens <= 4);
    }
    // The batch view agrees after the results were read.
    assert.equal((await getBatch(service.baseUrl, accepted.id)).counts.succeeded, 500);
  });

  it('gives the same text for the same seed: two jobs, and a job and a batch item', async () => {
    const input = { prompt: 'Determinism is', params: { max_new_tokens: 24, seed: 12345 } };
    const [first, second] = await Promise.all([
      submitJob(service.baseUrl, input),
      submitJob(service.baseUrl, input),
    ]);
    assert.ok(first && second);
    assert.notEqual(first.id, second.id);
    const batch = await submitBatch(service.baseUrl, [
      { custom_id: 'same', ...input },
      {
        custom_id: 'other-seed',
        prompt: input.prompt,
        params: { max_new_tokens: 24, seed: 54321 },
      },
    ]);
    const [a, b] = await Promise.all([
      waitForJob(service.baseUrl, first.id),
      waitForJob(service.baseUrl, second.id),
    ]);
    await waitForBatch(service.baseUrl, batch.id);
    const lines = await batchResults(service.baseUrl, batch.id);
    assert.deepEqual(
      lines.map((line) => line.custom_id),
      ['other-seed', 'same'],
    );
    const [otherSeed, same] = lines;

    assert.ok(a?.result && b?.result && same?.result && otherSeed?.result);
    assert.ok(a.result.text.length > 0);
    assert.equal(b.result.text, a.result.text);
    assert.equal(same.result.text, a.result.text);
    // A different seed gives a different text, so the equalities above mean something.
    assert.notEqual(otherSeed.result.text, a.result.text);
  });

  it('recorded each job once, with nothing left in the queue', async () => {
    const snapshot = readStore(service.databasePath);
    assert.equal(snapshot.jobs.length, 100 + 500 + 4);
    assert.ok(snapshot.jobs.every((job) => job.status === 'succeeded' && job.attempts === 1));
    assert.equal(snapshot.queueMessages, 0);
    assert.equal(snapshot.deadLetters, 0);
  });
});
