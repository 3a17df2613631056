import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type JobView, requestJson } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import type { ServiceProcess } from './e2e/service-process.ts';

/**
 * The real openai SDK's streaming (`stream: true`) against `npm start` on the tiny model:
 * OpenAI's chunk shape, the text joined equal to the non-streamed completion with the same
 * seed, usage in a last chunk only when asked, and [DONE] ending the stream (the SDK
 * stops there, and would throw on a chunk it cannot parse).
 */
describe('openai SDK completions streaming on npm start', () => {
  const services = useServices();
  let service: ServiceProcess;
  let client: OpenAI;

  before(async () => {
    service = await services.start({ env: { STREAM_INTERVAL_MS: '50' } });
    client = new OpenAI({
      baseURL: `${service.baseUrl}/openai/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });
  });

  const request = {
    model: 'gpt2',
    prompt: 'The warm worker said',
    max_tokens: 120,
    temperature: 0.8,
    seed: 7,
  };

  it('streams chunks of text_completion whose text joins to the completion, usage last when asked', async () => {
    const whole = await client.completions.create(request);
    const stream = await client.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
    }
    const usageChunk = chunks.at(-1)!;
    const textChunks = chunks.slice(0, -1);
    assert.ok(textChunks.length >= 3, `${textChunks.length} chunks`);
    for (const chunk of chunks) {
      assert.equal(chunk.object, 'text_completion');
      assert.equal(chunk.model, 'gpt2');
      assert.match(chunk.id, /^cmpl-/);
      assert.equal(chunk.id, chunks[0]!.id);
    }
    assert.ok(textChunks.every((chunk) => chunk.usage === null && chunk.choices.length === 1));
    const text = textChunks.map((chunk) => chunk.choices[0]!.text).join('');
    assert.equal(text, whole.choices[0]!.text);
    // finish_reason only on the choice's last chunk.
    assert.deepEqual(
      textChunks
        .map((chunk) => chunk.choices[0]!.finish_reason)
        .filter((reason) => reason !== null),
      [whole.choices[0]!.finish_reason],
    );
    assert.equal(textChunks.at(-1)!.choices[0]!.finish_reason, whole.choices[0]!.finish_reason);
    assert.deepEqual(usageChunk.choices, []);
    assert.deepEqual(usageChunk.usage, whole.usage);

    // The same job as /v1 shows it.
    const jobId = chunks[0]!.id.replace(/^cmpl-/, '');
    const job = await requestJson<JobView>(service.baseUrl, 'GET', `/v1/generations/${jobId}`);
    assert.equal(job.body.result?.text, text);
  });

  it('without include_usage no chunk has a usage field; several prompts stream side by side by index', async () => {
    const stream = await client.completions.create({
      ...request,
      prompt: ['First of two', 'Second of two'],
      max_tokens: 40,
      stream: true,
    });
    const texts = ['', ''];
    const reasons: (string | null)[] = [null, null];
    for await (const chunk of stream) {
      assert.ok(!('usage' in chunk), JSON.stringify(chunk));
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.text;
        reasons[choice.index] = choice.finish_reason ?? reasons[choice.index]!;
      }
    }
    const whole = await client.completions.create({
      ...request,
      prompt: ['First of two', 'Second of two'],
      max_tokens: 40,
    });
    assert.deepEqual(
      texts,
      whole.choices.map((choice) => choice.text),
    );
    assert.deepEqual(
      reasons,
      whole.choices.map((choice) => choice.finish_reason),
    );
  });

  it('a client that stops reading gets its job canceled, as a non-streamed one does', async () => {
    const stream = await client.completions.create({ ...request, max_tokens: 1000, stream: true });
    let id = '';
    for await (const chunk of stream) {
      id = chunk.id.replace(/^cmpl-/, '');
      break;
    }
    let job: JobView | null = null;
    for (let waited = 0; waited < 10_000; waited += 100) {
      job = (await requestJson<JobView>(service.baseUrl, 'GET', `/v1/generations/${id}`)).body;
      if (job.status === 'canceled') {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(job?.status, 'canceled');
  });
});
