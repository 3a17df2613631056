import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { getBatch } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import type { ServiceProcess } from './e2e/service-process.ts';
import {
  downloadLines,
  numberedLines,
  openAiClient,
  pollBatch,
  uploadLines,
} from './openai/batch-lines.ts';

/**
 * The real openai SDK's batch round trip on `npm start` (tiny model): upload, create,
 * poll, download, match by custom_id; and a cancel mid-way. The batch is a warmgen batch:
 * the native surface sees the same id and counts.
 */
describe('openai SDK batches on npm start', () => {
  const services = useServices();
  let service: ServiceProcess;
  let client: OpenAI;

  before(async () => {
    service = await services.start({ env: { MAX_BATCH: '32' } });
    client = openAiClient(service.baseUrl);
  });

  const create = (inputFileId: string, metadata?: Record<string, string>) =>
    client.batches.create({
      input_file_id: inputFileId,
      endpoint: '/v1/completions',
      completion_window: '24h',
      ...(metadata ? { metadata } : {}),
    });

  it('round trip: every line comes back once, matched by custom_id, with usage', async () => {
    const lines = numberedLines(60, 6);
    const file = await uploadLines(client, lines.toReversed());
    assert.equal(file.purpose, 'batch');
    assert.equal(file.object, 'file');
    const created = await create(file.id, { job: 'round-trip' });
    assert.equal(created.status, 'in_progress');
    assert.equal(created.request_counts?.total, 60);
    assert.deepEqual(created.metadata, { job: 'round-trip' });

    const done = await pollBatch(client, created.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.deepEqual(done.request_counts, { total: 60, completed: 60, failed: 0 });
    assert.ok(done.completed_at && done.completed_at >= done.created_at);
    assert.equal(done.error_file_id, null);
    assert.ok(done.output_file_id);

    const output = await downloadLines(client, done.output_file_id);
    assert.equal(output.length, 60);
    const byId = new Map(output.map((line) => [line.custom_id, line]));
    assert.equal(byId.size, 60, 'each custom_id once');
    for (const [i] of lines.entries()) {
      const line = byId.get(`request-${String(i).padStart(5, '0')}`);
      assert.ok(line?.response, `request ${i} answered`);
      assert.equal(line.error, null);
      assert.equal(line.response.status_code, 200);
      const body = line.response.body;
      assert.equal(body.object, 'text_completion');
      assert.equal(body.model, 'gpt2');
      assert.equal(body.choices.length, 1);
      const usage = body.usage;
      assert.ok(usage && usage.completion_tokens >= 1 && usage.completion_tokens <= 6);
    }
    // The batch's usage is the sum of its lines'.
    const sum = (pick: (u: OpenAI.CompletionUsage) => number) =>
      output.reduce(
        (total, line) => total + pick(line.response?.body.usage as OpenAI.CompletionUsage),
        0,
      );
    assert.equal(
      done.usage?.output_tokens,
      sum((u) => u.completion_tokens),
    );
    assert.equal(
      done.usage?.input_tokens,
      sum((u) => u.prompt_tokens),
    );
    assert.equal(
      done.usage?.total_tokens,
      sum((u) => u.total_tokens),
    );
    // Same seed through completions.create gives the same text as the batch line.
    const probe = await client.completions.create({
      model: 'gpt2',
      prompt: 'Request number 7 says',
      max_tokens: 6,
      seed: 7,
    });
    const seven = byId.get('request-00007')?.response?.body.choices[0]?.text;
    assert.equal(seven, probe.choices[0]?.text);

    // The same batch on the native surface.
    const native = await getBatch(service.baseUrl, created.id);
    assert.equal(native.counts.succeeded, 60);
    assert.equal((await client.files.retrieve(done.output_file_id)).purpose, 'batch_output');
  });

  it('cancel mid-way: cancelling, then cancelled; every line is in one of the two files', async () => {
    const file = await uploadLines(client, numberedLines(300, 48));
    const created = await create(file.id);
    const canceling = await client.batches.cancel(created.id);
    assert.ok(['cancelling', 'cancelled'].includes(canceling.status), canceling.status);
    assert.ok(canceling.cancelling_at);
    const done = await pollBatch(client, created.id);
    assert.equal(done.status, 'cancelled');
    const counts = done.request_counts;
    assert.ok(counts);
    assert.equal(counts.total, 300);
    assert.equal(counts.completed + counts.failed, 300, JSON.stringify(counts));
    assert.ok(counts.failed > 0, 'some lines were cancelled');
    assert.ok(done.error_file_id);
    const errors = await downloadLines(client, done.error_file_id);
    const output = done.output_file_id ? await downloadLines(client, done.output_file_id) : [];
    assert.equal(errors.length, counts.failed);
    assert.equal(output.length, counts.completed);
    assert.equal(new Set([...errors, ...output].map((line) => line.custom_id)).size, 300);
    for (const line of errors) {
      assert.equal(line.response, null);
      assert.equal(line.error?.code, 'batch_cancelled');
    }
    // A finished batch cannot be cancelled again.
    await assert.rejects(client.batches.cancel(created.id), { status: 409 });
    assert.equal((await getBatch(service.baseUrl, created.id)).status, 'canceled');
  });
});
