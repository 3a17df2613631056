import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type JobView, requestJson } from './e2e/service-client.ts';
import { doneJob, openStream, readAll, readFirst, streamedText } from './e2e/sse-client.ts';
import { useGcpStack, workerReady } from './gcp-stack/use-gcp-stack.ts';

/**
 * Live output on the production wiring: the API and the workers as separate processes on
 * the Pub/Sub and Firestore emulators, chunks crossing the stream topic to the API's own
 * subscription. The pieces join to the final text (greedy, seeded, a stop sequence,
 * characters of several tokens); a worker killed mid-stream: the stream says `requeued` and
 * goes on when the other worker takes the job, to the same final text. A stream resumed on
 * another API process from Last-Event-ID, and one canceled mid-way.
 */
const stack = useGcpStack();

describe('SSE streams on the Google Cloud stack (API and workers apart)', () => {
  it('joins to the final text, and survives a worker killed mid-stream', async () => {
    const { secrets, namespace } = await stack();
    const ns = await namespace();
    const api = await ns.startApi();
    const auth = { authorization: `Bearer ${secrets.apiKey}` };
    const workerEnv = { LEASE_SECONDS: '10', MAX_BATCH: '8' };
    const workerA = ns.spawnWorker('worker-a', workerEnv);
    await workerReady(workerA);

    const stream = async (body: Record<string, unknown>) => {
      const opened = await openStream(`${api.baseUrl}/v1/generations`, {
        method: 'POST',
        headers: auth,
        body: { ...body, stream: true },
      });
      assert.equal(opened.status, 200);
      const events = await readAll(opened);
      return { events, job: doneJob<JobView>(events) };
    };
    const greedy = { max_new_tokens: 120, temperature: 0 };
    const reference = await stream({ prompt: 'Once upon', params: greedy });
    const full = reference.job.result!.text;
    const stop = full.slice(50, 54);
    const cases = await Promise.all([
      stream({ prompt: 'Once upon', params: { max_new_tokens: 96, temperature: 0.9, seed: 7 } }),
      stream({ prompt: 'Once upon', params: { ...greedy, stop: [stop] } }),
      stream({ prompt: 'Café 東京', params: { max_new_tokens: 128, temperature: 3, seed: 60 } }),
    ]);
    for (const { events, job } of [reference, ...cases]) {
      assert.equal(job.status, 'succeeded');
      assert.equal(streamedText(events), job.result!.text);
    }
    assert.ok(
      reference.events.filter((event) => event.event === 'text').length >= 2,
      'the text came in pieces across processes',
    );
    assert.equal(cases[1]!.job.result!.text, full.slice(0, full.indexOf(stop)));
    assert.ok(/›/.test(cases[2]!.job.result!.text), 'the multi-token character (seed 60)');

    // A long seeded job: worker A streams some of it and is SIGKILLed; B takes it over.
    const long = await openStream(`${api.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: auth,
      body: { prompt: 'Long', params: { max_new_tokens: 600, seed: 3 }, stream: true },
    });
    const events = [];
    let killedAtMs = 0;
    for await (const event of long.events) {
      events.push(event);
      if (event.event === 'text' && killedAtMs === 0) {
        killedAtMs = performance.now();
        await workerA.kill();
        const workerB = ns.spawnWorker('worker-b', workerEnv);
        await workerReady(workerB);
      }
    }
    const job = doneJob<JobView>(events);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.attempts, 2);
    const kinds = events.map((event) => event.event);
    const requeuedAt = kinds.indexOf('requeued');
    assert.ok(requeuedAt > 0 && kinds.slice(0, requeuedAt).includes('text'), kinds.join(','));
    assert.equal(JSON.parse(events[requeuedAt]!.data).attempts, 2);
    // After the re-queue the text starts over, and goes on in pieces from worker B.
    assert.equal(streamedText(events), job.result!.text);
    assert.ok(
      kinds.slice(requeuedAt).filter((kind) => kind === 'text').length >= 2,
      kinds.join(','),
    );
    // Not asserted (a shared machine starts worker B late): printed for the note.
    const requeuedAfterMs = events[requeuedAt]!.atMs - killedAtMs;
    process.stdout.write(
      `# requeued ${Math.round(requeuedAfterMs)} ms after the kill (lease 10 s)\n`,
    );
  });

  it('resumes on another API process from Last-Event-ID, and ends a canceled stream with the canceled job', async () => {
    const { secrets, namespace } = await stack();
    const ns = await namespace();
    const [apiA, apiB] = await Promise.all([ns.startApi(), ns.startApi()]);
    const auth = { authorization: `Bearer ${secrets.apiKey}` };
    await workerReady(ns.spawnWorker('worker', { MAX_BATCH: '8' }));

    // Two pieces from API A, then the rest from API B: its subscription got the chunks too.
    const first = await openStream(`${apiA.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: auth,
      body: { prompt: 'Resume', params: { max_new_tokens: 300, seed: 11 }, stream: true },
    });
    const seen = await readFirst(first, 2);
    const last = seen.at(-1)!;
    const id = last.id!.split('.')[0]!;
    const resumed = await openStream(`${apiB.baseUrl}/v1/generations/${id}/stream`, {
      headers: { ...auth, 'last-event-id': last.id! },
    });
    assert.equal(resumed.status, 200);
    const rest = await readAll(resumed);
    const job = doneJob<JobView>(rest);
    assert.equal(job.status, 'succeeded');
    assert.equal(streamedText([...seen, ...rest]), job.result!.text);

    // Canceled through API B while API A streams it.
    const long = await openStream(`${apiA.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: auth,
      body: { prompt: 'Long', params: { max_new_tokens: 1000, seed: 5 }, stream: true },
    });
    const events = [];
    for await (const event of long.events) {
      events.push(event);
      if (event.event === 'text' && events.length === 1) {
        const reply = await requestJson(
          apiB.baseUrl,
          'POST',
          `/v1/generations/${event.id!.split('.')[0]!}/cancel`,
          undefined,
          auth,
        );
        assert.ok([200, 202].includes(reply.status), String(reply.status));
      }
    }
    const canceled = doneJob<JobView>(events);
    assert.equal(canceled.status, 'canceled');
    assert.equal(streamedText(events), canceled.result!.text);
    assert.ok(canceled.result!.usage.completion_tokens < 1000);
  });
});
