import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AutoTokenizer } from '@huggingface/transformers';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { type JobView, requestJson, submitJob } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import type { ServiceProcess } from './e2e/service-process.ts';
import { doneJob, openStream, readAll, readFirst, streamedText } from './e2e/sse-client.ts';

/**
 * Live output on `npm start` (the real process, the real engine on the tiny model, the
 * in-process channel): the streamed pieces join to the final text for greedy and seeded
 * sampling, with a stop sequence and with characters that take several tokens; cancel
 * mid-stream; Last-Event-ID; 404 before the stream opens.
 */
const keyA = 'wg_test_key_alpha_0123456789';
const keyB = 'wg_test_key_bravo_0123456789';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Seeds whose text, from this prompt at temperature 3, has a character of several tokens. */
const multiTokenPrompt = 'Café 東京';
const multiTokenSeeds = [59, 60];

describe('SSE streams on npm start', () => {
  const services = useServices();
  let service: ServiceProcess;

  before(async () => {
    service = await services.start({ env: { API_KEYS: `${keyA},${keyB}`, MAX_BATCH: '8' } });
  });

  async function stream(body: Record<string, unknown>) {
    const opened = await openStream(`${service.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: bearer(keyA),
      body: { ...body, stream: true },
    });
    assert.equal(opened.status, 200);
    const events = await readAll(opened);
    return { events, job: doneJob<JobView>(events) };
  }

  it('joins to the final text: greedy, seeded, a stop sequence, characters split across tokens', async () => {
    const greedy = { max_new_tokens: 160, temperature: 0 };
    const reference = await submitJob(
      service.baseUrl,
      { prompt: 'Once upon', params: greedy },
      {
        ...bearer(keyA),
        Prefer: 'wait=60',
      },
    );
    assert.equal(reference.status, 'succeeded');
    const full = reference.result!.text;
    const stop = full.slice(60, 64);
    assert.ok(stop.length === 4 && full.indexOf(stop) === 60, JSON.stringify(stop));

    const cases = {
      greedy: { prompt: 'Once upon', params: greedy },
      seeded: {
        prompt: 'Once upon',
        params: { max_new_tokens: 96, temperature: 0.9, top_p: 0.95, seed: 7 },
      },
      stop: { prompt: 'Once upon', params: { ...greedy, stop: ['zzqx', stop] } },
      ...Object.fromEntries(
        multiTokenSeeds.map((seed) => [
          `seed ${seed}`,
          { prompt: multiTokenPrompt, params: { max_new_tokens: 128, temperature: 3, seed } },
        ]),
      ),
    };
    const results = Object.fromEntries(
      await Promise.all(
        Object.entries(cases).map(async ([name, body]) => [name, await stream(body)] as const),
      ),
    );
    for (const [name, { events, job }] of Object.entries(results)) {
      assert.equal(job.status, 'succeeded', name);
      assert.equal(streamedText(events), job.result!.text, name);
      assert.ok(!events.some((event) => event.event === 'requeued'), name);
    }
    assert.equal(results.greedy!.job.result!.text, full);
    // Streamed as it generated, not in one piece at the end.
    const pieces = results.greedy!.events.filter((event) => event.event === 'text');
    assert.ok(pieces.length >= 3, `${pieces.length} text events`);
    // The stop sequence never leaked, not even in a piece that a later one would take back.
    assert.equal(results.stop!.job.result!.finish_reason, 'stop');
    assert.equal(results.stop!.job.result!.text, full.slice(0, 60));
    assert.ok(!streamedText(results.stop!.events).includes(stop));

    // The multi-token characters really are in those texts, and no piece ended inside one.
    const tokenizer = await AutoTokenizer.from_pretrained(await ensureModel('tiny'), {
      local_files_only: true,
    });
    for (const seed of multiTokenSeeds) {
      const { events, job } = results[`seed ${seed}`]!;
      const split = [...job.result!.text].filter(
        (char) =>
          char.codePointAt(0)! > 0x7f &&
          char !== '\ufffd' &&
          tokenizer.encode(char, { add_special_tokens: false }).length > 1,
      );
      assert.ok(
        split.length > 0,
        `seed ${seed}: no character of several tokens in ${JSON.stringify(job.result!.text)}`,
      );
      for (const event of events.filter((e) => e.event === 'text').slice(0, -1)) {
        const { text } = JSON.parse(event.data) as { text: string };
        assert.ok(!text.endsWith('\ufffd') && !/[\ud800-\udbff]$/.test(text), JSON.stringify(text));
      }
    }
  });

  it('ends a stream canceled mid-way with the canceled job, its text joined from the pieces', async () => {
    const opened = await openStream(`${service.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: bearer(keyA),
      body: { prompt: 'Long', params: { max_new_tokens: 1000, seed: 5 }, stream: true },
    });
    const events = [];
    let canceled = false;
    for await (const event of opened.events) {
      events.push(event);
      if (event.event === 'text' && !canceled) {
        canceled = true;
        const id = event.id!.split('.')[0]!;
        const reply = await requestJson(
          service.baseUrl,
          'POST',
          `/v1/generations/${id}/cancel`,
          undefined,
          bearer(keyA),
        );
        assert.ok([200, 202].includes(reply.status), String(reply.status));
      }
    }
    const job = doneJob<JobView>(events);
    assert.equal(job.status, 'canceled');
    assert.equal(job.result?.finish_reason, 'canceled');
    assert.equal(streamedText(events), job.result!.text);
    assert.ok(job.result!.usage.completion_tokens < 1000);
  });

  it('resumes from Last-Event-ID without duplicates; closing a stream does not cancel its job', async () => {
    const body = { prompt: 'Resume', params: { max_new_tokens: 200, seed: 11 } };
    const first = await openStream(`${service.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: bearer(keyA),
      body: { ...body, stream: true },
    });
    const seen = await readFirst(first, 2);
    const last = seen.at(-1)!;
    const id = last.id!.split('.')[0]!;
    const resumed = await openStream(`${service.baseUrl}/v1/generations/${id}/stream`, {
      headers: { ...bearer(keyA), 'last-event-id': last.id! },
    });
    assert.equal(resumed.status, 200);
    const rest = await readAll(resumed);
    const job = doneJob<JobView>(rest);
    assert.equal(job.status, 'succeeded');
    assert.equal(streamedText([...seen, ...rest]), job.result!.text);
    const get = await requestJson<JobView>(
      service.baseUrl,
      'GET',
      `/v1/generations/${id}`,
      undefined,
      bearer(keyA),
    );
    assert.equal(get.body.status, 'succeeded');
  });

  it("answers 404 before the stream opens for an unknown id and another key's job", async () => {
    const mine = await submitJob(
      service.baseUrl,
      { prompt: 'Mine', params: { max_new_tokens: 4 } },
      bearer(keyA),
    );
    for (const [id, key] of [
      ['job_0000000000000000000000', keyA],
      [mine.id, keyB],
    ] as const) {
      const opened = await openStream(`${service.baseUrl}/v1/generations/${id}/stream`, {
        headers: bearer(key),
      });
      assert.equal(opened.status, 404);
      assert.match(opened.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(((await opened.json()) as { error: { code: string } }).error.code, 'not_found');
    }
  });
});
