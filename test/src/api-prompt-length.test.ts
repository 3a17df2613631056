import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PromptTokens } from '@warmgen/shared/domain/prompt-length.ts';
import { loadPromptTokens } from '@warmgen/shared/tokenizer/load-prompt-tokens.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import OpenAI from 'openai';
import { type RunningApi, startApi } from './api-test-harness.ts';
import { completionLine, openAiClient, uploadLines } from './openai/batch-lines.ts';

/**
 * Prompt + max_new_tokens past the model's 1,024 positions is a 400 at submit on every
 * route that accepts prompts, naming both fields (and the line or item), and nothing is
 * written; one token less is accepted. The count is the real tiny GPT-2 folder's tokenizer
 * (the one the worker uses): "hello " x 600 is 601 tokens.
 */
const long = 'hello '.repeat(600);
const longTokens = 601;
const fits = 1024 - longTokens;

describe('prompt length against the model positions, at submit', () => {
  let api: RunningApi;
  let tokens: PromptTokens;
  let client: OpenAI;

  before(async () => {
    tokens = await loadPromptTokens(await ensureModel('tiny'));
    api = await startApi({
      promptTokens: () => tokens,
      openai: {
        modelName: 'gpt2',
        maxFileBytes: 1024 * 1024,
        maxFileLines: 20,
        filesLocation: null,
      },
    });
    client = openAiClient(api.baseUrl);
  });
  after(async () => {
    await api.close();
  });

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
  const jobCount = async () => {
    const counts = await api.store.countJobs();
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  };
  const fieldsOf = (body: { error: { details?: { field: string }[] } }) =>
    (body.error.details ?? []).map((detail) => detail.field);

  it('counts with the model folder: the test prompt is 601 tokens', () => {
    assert.equal(tokens.count(long), longTokens);
  });

  it('POST /v1/generations: 400 naming prompt and params.max_new_tokens; one token less is 202', async () => {
    const before = await jobCount();
    const refused = await post(
      '/v1/generations',
      JSON.stringify({ prompt: long, params: { max_new_tokens: fits + 1 } }),
    );
    assert.equal(refused.status, 400);
    const body = await refused.json();
    assert.equal(body.error.code, 'validation_failed');
    assert.deepEqual(fieldsOf(body), ['body/prompt', 'body/params/max_new_tokens']);
    assert.equal(
      body.error.message,
      `prompt (601 tokens) + params.max_new_tokens (${fits + 1}) exceeds the model's 1024 positions: lower params.max_new_tokens to at most ${fits} or shorten the prompt`,
    );
    assert.equal(await jobCount(), before, 'nothing written');

    const accepted = await post(
      '/v1/generations',
      JSON.stringify({ prompt: long, params: { max_new_tokens: fits } }),
    );
    assert.equal(accepted.status, 202);
  });

  it('the default max_new_tokens (64) counts too, and a prompt alone past the positions says so', async () => {
    const near = ' hi'.repeat(1000);
    assert.equal(tokens.count(near), 1000);
    const withDefault = await post('/v1/generations', JSON.stringify({ prompt: near }));
    assert.equal(withDefault.status, 400);
    const body = await withDefault.json();
    assert.match(body.error.message, /^prompt \(1000 tokens\) \+ params\.max_new_tokens \(64\)/);
    assert.deepEqual(fieldsOf(body), ['body/prompt', 'body/params/max_new_tokens']);

    const alone = await post('/v1/generations', JSON.stringify({ prompt: ' hi'.repeat(1300) }));
    assert.equal(alone.status, 400);
    assert.match(
      (await alone.json()).error.message,
      /^prompt is 1300 tokens; the model has 1024 positions, so it must be at most 1023 tokens$/,
    );
  });

  it('POST /v1/batches (JSON): the item is named', async () => {
    const before = await jobCount();
    const items = [
      { custom_id: 'a', prompt: 'short' },
      { custom_id: 'b', prompt: long, params: { max_new_tokens: 1024 } },
    ];
    const refused = await post('/v1/batches', JSON.stringify({ items }));
    assert.equal(refused.status, 400);
    const body = await refused.json();
    assert.deepEqual(fieldsOf(body), ['body/items/1/prompt', 'body/items/1/params/max_new_tokens']);
    assert.match(
      body.error.message,
      /^items\[1\]: prompt \(601 tokens\) \+ params\.max_new_tokens \(1024\)/,
    );
    assert.equal(await jobCount(), before, 'no item of the batch written');
  });

  for (const mediaType of ['application/jsonl', 'application/x-ndjson']) {
    it(`POST /v1/batches (${mediaType}): the line is named`, async () => {
      const before = await jobCount();
      const lines = [
        JSON.stringify({ custom_id: 'a', prompt: 'short' }),
        '',
        JSON.stringify({ custom_id: 'b', prompt: long, params: { max_new_tokens: fits + 1 } }),
      ];
      const refused = await post('/v1/batches', `${lines.join('\n')}\n`, mediaType);
      assert.equal(refused.status, 400);
      const body = await refused.json();
      assert.deepEqual(fieldsOf(body), ['line 3/prompt', 'line 3/params/max_new_tokens']);
      assert.match(body.error.message, /^line 3: prompt \(601 tokens\) \+ params\.max_new_tokens/);
      assert.equal(await jobCount(), before);
    });
  }

  it('OpenAI completions through the openai SDK: 400 with param prompt, naming max_tokens', async () => {
    const before = await jobCount();
    for (const [prompt, param] of [
      [long, 'prompt'],
      [['short', long], 'prompt[1]'],
    ] as const) {
      const error = await client.completions
        .create({ model: 'gpt2', prompt: prompt as string | string[], max_tokens: fits + 1 })
        .then(
          () => assert.fail('accepted'),
          (caught: unknown) => caught,
        );
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.status, 400);
      assert.equal(error.param, param);
      assert.match(
        error.message,
        /\(601 tokens\) \+ max_tokens \(424\) exceeds the model's 1024 positions/,
      );
    }
    assert.equal(await jobCount(), before);
  });

  it('OpenAI batch input file: the batch fails naming the line, and no job is made', async () => {
    const before = await jobCount();
    const file = await uploadLines(client, [
      completionLine('ok', { prompt: 'short', max_tokens: 4 }),
      completionLine('long', { prompt: long, max_tokens: fits + 1 }),
    ]);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    assert.equal(batch.status, 'failed');
    const errors = batch.errors?.data ?? [];
    assert.deepEqual(
      errors.map((error) => [error.line, error.code, error.param]),
      [[2, 'context_length_exceeded', 'body.prompt']],
    );
    assert.match(
      errors[0]?.message ?? '',
      /^line 2: body\.prompt \(601 tokens\) \+ body\.max_tokens \(424\)/,
    );
    assert.equal(await jobCount(), before);
  });
});
