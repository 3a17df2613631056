import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type OpenAI from 'openai';
import { useGcpStack, workerReady } from './gcp-stack/use-gcp-stack.ts';
import {
  downloadLines,
  numberedLines,
  openAiClient,
  pollBatch,
  uploadLines,
} from './openai/batch-lines.ts';

/**
 * The openai SDK on the production wiring: the API and a worker as separate processes on
 * the Pub/Sub and Firestore emulators, uploaded files in the GCS test server
 * (OPENAI_FILES_URI), batch records on Firestore. Round trip, cancel, retry, file operations.
 */
const stack = useGcpStack();

describe('openai SDK on the Google Cloud stack (API and worker apart)', () => {
  it('uploads to Cloud Storage, runs a batch to completed, cancels another and retries it, lists both', async () => {
    const { secrets, namespace, gcs } = await stack();
    const ns = await namespace();
    const filesEnv = { OPENAI_FILES_URI: `gs://warmgen-files/${ns.name}` };
    const api = await ns.startApi(filesEnv);
    const worker = ns.spawnWorker('worker', { MAX_BATCH: '16', ...filesEnv });
    await workerReady(worker);
    const client = openAiClient(api.baseUrl, secrets.apiKey);

    const lines = numberedLines(40, 6);
    const file = await uploadLines(client, lines, 'gcp.jsonl');
    assert.ok(
      gcs.store.get('warmgen-files', `${ns.name}/files/${file.id}`),
      'the upload is an object in the files folder',
    );
    assert.equal((await client.files.retrieve(file.id)).filename, 'gcp.jsonl');
    const text = await (await client.files.content(file.id)).text();
    assert.equal(text, `${lines.join('\n')}\n`);

    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    const done = await pollBatch(client, created.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.deepEqual(done.request_counts, { total: 40, completed: 40, failed: 0 });
    assert.ok(done.usage && done.usage.output_tokens >= 40, 'usage summed on Firestore');
    assert.ok(done.output_file_id);
    const output = await downloadLines(client, done.output_file_id);
    assert.deepEqual(
      output.map((line) => line.custom_id).sort(),
      lines.map((line) => (JSON.parse(line) as { custom_id: string }).custom_id).sort(),
    );
    for (const line of output) {
      assert.equal(line.response?.status_code, 200);
      assert.ok((line.response?.body.usage?.completion_tokens ?? 0) >= 1);
    }

    const big = await uploadLines(client, numberedLines(200, 48));
    const second = await client.batches.create({
      input_file_id: big.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    await client.batches.cancel(second.id);
    const cancelled = await pollBatch(client, second.id);
    assert.equal(cancelled.status, 'cancelled');
    const counts = cancelled.request_counts;
    assert.ok(counts && counts.failed > 0 && counts.completed + counts.failed === 200);

    // Retry (a warmgen extension): only the cancelled lines run again, to completed, on
    // Firestore's retry (batch document first, then each row) and the worker apart.
    const retried = await client.post<OpenAI.Batch>(`/batches/${second.id}/retry`);
    assert.equal(retried.status, 'in_progress');
    assert.deepEqual(retried.request_counts, {
      total: 200,
      completed: counts.completed,
      failed: 0,
    });
    await assert.rejects(client.post(`/batches/${second.id}/retry`), { status: 409 });
    const completed = await pollBatch(client, second.id);
    assert.equal(completed.status, 'completed');
    assert.deepEqual(completed.request_counts, { total: 200, completed: 200, failed: 0 });
    assert.equal(completed.error_file_id, null);
    const all = await downloadLines(client, completed.output_file_id ?? '');
    assert.equal(new Set(all.map((line) => line.custom_id)).size, 200, 'every line once');
    assert.ok((completed.usage?.total_tokens ?? 0) > 0);

    const listed = await client.batches.list({ limit: 1 });
    assert.deepEqual(
      listed.data.map((b) => b.id),
      [second.id],
    );
    assert.equal(listed.has_more, true);
    const rest = await client.batches.list({ limit: 5, after: second.id });
    assert.deepEqual(
      rest.data.map((b) => b.id),
      [created.id],
    );

    assert.deepEqual((await client.files.delete(file.id)).deleted, true);
    await assert.rejects(client.files.retrieve(file.id), { status: 404 });
  });
});
