import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type RunningApi, startApi } from './api-test-harness.ts';

const key = 'wg_test_key_openai_0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The /openai/v1 surface's refusals, as the real openai SDK sees them: the right status,
 * OpenAI's error shape (`err.code`, `err.param`, `err.type`) naming the field, and no job
 * left behind. No worker runs: nothing here gets as far as generating.
 */
describe('/openai/v1 refuses what it cannot serve, in OpenAI’s error shape', () => {
  let api: RunningApi;
  let client: OpenAI;

  before(async () => {
    api = await startApi({
      auth: { mode: 'required', keyHashes: [sha256(key)], rateLimitPerMinute: 0 },
    });
    client = new OpenAI({ baseURL: `${api.baseUrl}/openai/v1`, apiKey: key, maxRetries: 0 });
  });
  after(async () => {
    await api.close();
  });

  /** The SDK's error for a call that must fail. */
  async function failure(
    call: () => Promise<unknown>,
  ): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await call();
    } catch (error) {
      assert.ok(error instanceof OpenAI.APIError, `an APIError, got ${String(error)}`);
      return error;
    }
    assert.fail('the call succeeded');
  }

  it('lists and retrieves the served model; another model is a 404 model_not_found', async () => {
    const models = [];
    for await (const model of client.models.list()) {
      models.push(model);
    }
    assert.deepEqual(
      models.map((m) => [m.id, m.object, m.owned_by]),
      [['gpt2', 'model', 'warmgen']],
    );
    assert.equal((await client.models.retrieve('gpt2')).id, 'gpt2');
    const missing = await failure(() => client.models.retrieve('gpt-4o-mini'));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'model_not_found');
    assert.match(missing.message, /gpt-4o-mini.*gpt2/);
  });

  it('a completion for an unknown model is a 404 naming model, and creates no job', async () => {
    const error = await failure(() =>
      client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Hello' }),
    );
    assert.equal(error.status, 404);
    assert.equal(error.code, 'model_not_found');
    assert.equal(error.param, 'model');
    assert.equal((await api.store.countJobs()).queued, 0);
  });

  it('stream_options that OpenAI does not have is a 400 naming it, before any job', async () => {
    const error = await failure(() =>
      client.completions.create({
        model: 'gpt2',
        prompt: 'Hello',
        stream: true,
        stream_options: { include_usage: true, include_obfuscation: true },
      }),
    );
    assert.equal(error.status, 400);
    assert.match(String(error.param), /^stream_options/);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal((await api.store.countJobs()).queued, 0);
  });

  it('bad fields are 400s whose param names the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ max_tokens: 0 }, 'max_tokens'],
      [{ max_tokens: 5000 }, 'max_tokens'],
      [{ temperature: 2.5 }, 'temperature'],
      [{ top_p: 0 }, 'top_p'],
      [{ n: 2 }, 'n'],
      [{ best_of: 3 }, 'best_of'],
      [{ echo: true }, 'echo'],
      [{ presence_penalty: 0.5 }, 'presence_penalty'],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      [{ functions: [] }, 'functions'],
      [{ prompt: '' }, 'prompt'],
      [{ prompt: [] }, 'prompt'],
      [{ prompt: ['ok', ''] }, 'prompt[1]'],
    ];
    for (const [fields, param] of cases) {
      const body = { model: 'gpt2', prompt: 'Hello', ...fields } as never;
      const error = await failure(() => client.completions.create(body));
      assert.equal(error.status, 400, JSON.stringify(fields));
      assert.equal(error.param, param, `${JSON.stringify(fields)}: ${error.message}`);
      assert.equal(error.type, 'invalid_request_error');
      assert.ok(error.message.length > 0);
    }
    assert.equal((await api.store.countJobs()).queued, 0, 'no job was created');
  });

  it('a wrong key is a 401 AuthenticationError with code invalid_api_key', async () => {
    const stranger = new OpenAI({
      baseURL: `${api.baseUrl}/openai/v1`,
      apiKey: 'wrong',
      maxRetries: 0,
    });
    const error = await failure(() => stranger.models.list());
    assert.ok(error instanceof OpenAI.AuthenticationError);
    assert.equal(error.code, 'invalid_api_key');
  });

  it('an unknown path under /openai/v1 is a 404 in OpenAI’s shape', async () => {
    const response = await fetch(`${api.baseUrl}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.code, 'unknown_url');
  });
});
