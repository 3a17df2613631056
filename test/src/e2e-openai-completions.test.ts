import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { submitJob, waitForJob } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import type { ServiceProcess } from './e2e/service-process.ts';

/**
 * The real openai SDK's completions.create against `npm start` on the tiny model: a
 * completion is a warmgen job, so the same seed gives the same text through both surfaces.
 */
describe('openai SDK completions on npm start', () => {
  const services = useServices();
  let service: ServiceProcess;
  let client: OpenAI;

  before(async () => {
    service = await services.start();
    client = new OpenAI({
      baseURL: `${service.baseUrl}/openai/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });
  });

  it('a prompt string: one choice, usage, the same text as /v1/generations with the same seed', async () => {
    const completion = await client.completions.create({
      model: 'gpt2',
      prompt: 'The warm worker said',
      max_tokens: 12,
      temperature: 0.8,
      top_p: 0.9,
      seed: 7,
    });
    assert.equal(completion.object, 'text_completion');
    assert.equal(completion.model, 'gpt2');
    assert.match(completion.id, /^cmpl-/);
    assert.equal(completion.choices.length, 1);
    const [choice] = completion.choices;
    assert.ok(choice);
    assert.equal(choice.index, 0);
    assert.ok(['stop', 'length'].includes(choice.finish_reason), choice.finish_reason);
    const usage = completion.usage;
    assert.ok(usage && usage.prompt_tokens >= 1 && usage.completion_tokens >= 1);
    assert.ok(usage.completion_tokens <= 12);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);

    const native = await submitJob(service.baseUrl, {
      prompt: 'The warm worker said',
      params: { max_new_tokens: 12, temperature: 0.8, top_p: 0.9, seed: 7 },
    });
    const job = await waitForJob(service.baseUrl, native.id);
    assert.equal(job.result?.text, choice.text);
    assert.equal(job.result?.usage.completion_tokens, usage.completion_tokens);
  });

  it('an array of prompts: one choice per prompt, in order, usage summed', async () => {
    const prompts = ['First of three', 'Second of three', 'Third of three'];
    const together = await client.completions.create({
      model: 'gpt2',
      prompt: prompts,
      max_tokens: 6,
      seed: 3,
    });
    assert.deepEqual(
      together.choices.map((c) => c.index),
      [0, 1, 2],
    );
    for (const [i, prompt] of prompts.entries()) {
      const alone = await client.completions.create({
        model: 'gpt2',
        prompt,
        max_tokens: 6,
        seed: 3,
      });
      assert.equal(together.choices[i]?.text, alone.choices[0]?.text, prompt);
    }
    const usage = together.usage;
    assert.ok(usage);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    assert.ok(usage.completion_tokens >= 3 && usage.completion_tokens <= 18);
  });

  it('max_tokens bounds the answer and finish_reason says length; a stop string ends it', async () => {
    const greedyCount = (fields: { max_tokens: number; stop?: string }) =>
      client.completions.create({ model: 'gpt2', prompt: 'Count:', temperature: 0, ...fields });
    const long = await greedyCount({ max_tokens: 3 });
    const greedy = long.choices[0];
    assert.ok(greedy);
    if ((long.usage?.completion_tokens ?? 0) === 3) {
      assert.equal(greedy.finish_reason, 'length');
    }
    // Greedy output is fixed: stop on a piece of it and the text ends before that piece.
    const wider = await greedyCount({ max_tokens: 24 });
    const text = wider.choices[0]?.text ?? '';
    const piece = text
      .slice(Math.floor(text.length / 2))
      .trim()
      .slice(0, 3);
    assert.ok(piece.length > 0, `greedy text long enough to stop inside: ${JSON.stringify(text)}`);
    const stopped = await greedyCount({ max_tokens: 24, stop: piece });
    const cut = stopped.choices[0];
    assert.ok(cut);
    assert.equal(cut.finish_reason, 'stop');
    assert.ok(!cut.text.includes(piece), `${JSON.stringify(cut.text)} stops before ${piece}`);
    assert.ok(text.startsWith(cut.text));
  });
});
