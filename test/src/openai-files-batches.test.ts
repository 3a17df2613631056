import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { type RunningApi, startApi } from './api-test-harness.ts';
import { completionLine, openAiClient, uploadLines } from './openai/batch-lines.ts';

/**
 * Files and the validation of batch input files through the real openai SDK, on the API
 * alone (no worker: nothing here needs a line generated). A malformed file fails the
 * batch as OpenAI's does: create answers with status "failed" and `errors.data` naming
 * each bad line, and no job is created.
 */
describe('/openai/v1 files and batch validation with the openai SDK', () => {
  let api: RunningApi;
  let client: OpenAI;
  /** Added to the API's clock, to pass a batch's 24 h window. */
  let clockSkewMs = 0;

  before(async () => {
    api = await startApi({
      openai: { modelName: 'gpt2', maxFileBytes: 64 * 1024, maxFileLines: 20, filesLocation: null },
      now: () => Date.now() + clockSkewMs,
    });
    client = openAiClient(api.baseUrl);
  });
  after(async () => {
    await api.close();
  });

  const good = (id: string) => completionLine(id, { prompt: `Prompt ${id}`, max_tokens: 4 });
  const createFrom = async (lines: string[]) => {
    const file = await uploadLines(client, lines);
    return client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
  };

  it('upload, retrieve, list (newest first, after/limit), content, delete', async () => {
    const first = await uploadLines(client, [good('a')], 'first.jsonl');
    const second = await uploadLines(client, [good('b'), good('c')], 'second.jsonl');
    assert.equal(first.filename, 'first.jsonl');
    assert.equal(second.bytes, Buffer.byteLength(`${good('b')}\n${good('c')}\n`));
    assert.deepEqual(await client.files.retrieve(second.id), second);

    const page = await client.files.list({ limit: 1 });
    assert.deepEqual(
      page.data.map((f) => f.id),
      [second.id],
    );
    assert.equal(page.has_more, true);
    const all = [];
    for await (const file of client.files.list({ limit: 1 })) {
      all.push(file.id);
    }
    assert.deepEqual(all.slice(0, 2), [second.id, first.id], 'the SDK pages with after');

    const text = await (await client.files.content(second.id)).text();
    assert.equal(text, `${good('b')}\n${good('c')}\n`);

    assert.deepEqual(await client.files.delete(first.id), {
      id: first.id,
      object: 'file',
      deleted: true,
    });
    await assert.rejects(client.files.retrieve(first.id), { status: 404 });
  });

  it('a purpose other than batch is a 400 naming purpose, and keeps no file', async () => {
    const before = (await client.files.list()).data.length;
    await assert.rejects(
      client.files.create({
        file: await toFile(Buffer.from(good('x')), 'x.jsonl'),
        purpose: 'fine-tune',
      }),
      (error: InstanceType<typeof OpenAI.APIError>) =>
        error.status === 400 && error.param === 'purpose',
    );
    assert.equal((await client.files.list()).data.length, before);
  });

  it('over the limits: more bytes is a 413, more lines a 400 naming file', async () => {
    const big = Buffer.alloc(65 * 1024, 'a');
    await assert.rejects(
      client.files.create({ file: await toFile(big, 'big.jsonl'), purpose: 'batch' }),
      { status: 413 },
    );
    const many = Array.from({ length: 21 }, (_, i) => good(`r${i}`));
    await assert.rejects(
      uploadLines(client, many),
      (error: InstanceType<typeof OpenAI.APIError>) =>
        error.status === 400 &&
        error.param === 'file' &&
        /21 lines.*at most 20/.test(error.message),
    );
  });

  it('bad JSON, a wrong url or method, a duplicate custom_id, another model: failed, naming each line', async () => {
    const batch = await createFrom([
      good('ok-1'),
      '{"custom_id": "broken", "method": "POST",',
      completionLine('wrong-url', { prompt: 'x' }, { url: '/v1/chat/completions' }),
      completionLine('wrong-method', { prompt: 'x' }, { method: 'GET' }),
      good('ok-1'),
      completionLine('other-model', { prompt: 'x', model: 'gpt-4o-mini' }),
      completionLine('bad-field', { prompt: 'x', temperature: 9 }),
    ]);
    assert.equal(batch.status, 'failed');
    assert.ok(batch.failed_at);
    const errors = batch.errors?.data ?? [];
    assert.deepEqual(
      errors.map((e) => [e.line, e.code, e.param]),
      [
        [2, 'invalid_json_line', null],
        [3, 'invalid_url', 'url'],
        [4, 'invalid_method', 'method'],
        [5, 'duplicate_custom_id', 'custom_id'],
        [6, 'model_not_found', 'body.model'],
        [7, 'invalid_request', 'body.temperature'],
      ],
    );
    for (const error of errors) {
      assert.match(error.message ?? '', new RegExp(`line ${error.line}`));
    }
    assert.equal((await api.store.countJobs()).queued, 0, 'no line of a failed file runs');
    assert.equal((await client.batches.retrieve(batch.id)).status, 'failed');
  });

  it('create refuses another endpoint, window or an unknown file, naming the field', async () => {
    const file = await uploadLines(client, [good('a')]);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ endpoint: '/v1/chat/completions' }, 400, 'endpoint'],
      [{ completion_window: '1h' }, 400, 'completion_window'],
      [{ input_file_id: 'file-nope' }, 404, 'input_file_id'],
    ];
    for (const [fields, status, param] of cases) {
      const body = {
        input_file_id: file.id,
        endpoint: '/v1/completions',
        completion_window: '24h',
        ...fields,
      } as never;
      await assert.rejects(
        client.batches.create(body),
        (error: InstanceType<typeof OpenAI.APIError>) =>
          error.status === status && error.param === param,
        JSON.stringify(fields),
      );
    }
  });

  it('lists batches newest first, paging with after and limit; the native surface has the same id', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await createFrom([good(`list-${i}`)])).id);
    }
    const page = await client.batches.list({ limit: 2 });
    assert.deepEqual(
      page.data.map((b) => b.id),
      [ids[2], ids[1]],
    );
    assert.equal(page.has_more, true);
    const next = await client.batches.list({ limit: 2, after: ids[1] });
    assert.equal(next.data[0]?.id, ids[0]);
    const native = await fetch(`${api.baseUrl}/v1/batches/${ids[0]}`);
    assert.equal(native.status, 200);
    assert.equal(((await native.json()) as { total: number }).total, 1);
  });

  it('past its 24 h window a batch is expired: open lines canceled, batch_expired in the error file', async () => {
    const batch = await createFrom([good('late-1'), good('late-2')]);
    assert.equal(batch.status, 'in_progress');
    assert.equal(batch.expires_at, (batch.created_at ?? 0) + 24 * 3600);
    clockSkewMs = 24 * 3600 * 1000 + 1000;
    try {
      const expired = await client.batches.retrieve(batch.id);
      assert.equal(expired.status, 'expired');
      assert.ok(expired.expired_at);
      assert.deepEqual(expired.request_counts, { total: 2, completed: 0, failed: 2 });
      assert.ok(expired.error_file_id);
      const text = await (await client.files.content(expired.error_file_id)).text();
      const lines = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.deepEqual(
        lines.map((line) => [line.custom_id, line.error.code]),
        [
          ['late-1', 'batch_expired'],
          ['late-2', 'batch_expired'],
        ],
      );
      await assert.rejects(client.batches.cancel(batch.id), { status: 409 });
    } finally {
      clockSkewMs = 0;
    }
  });
});
