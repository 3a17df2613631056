import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InProcessStreamChannel } from '@warmgen/shared/adapters/in-process/in-process-stream-channel.ts';
import { type RunningApi, resultFor, sendJson, startApi } from './api-test-harness.ts';
import { doneJob, openStream, readAll, streamedText } from './e2e/sse-client.ts';

/**
 * The SSE stream route over real HTTP, with the worker's part played through the store and
 * the in-process stream channel: catch-up, pieces in and out of order, a lost piece,
 * Last-Event-ID, re-queue, keep-alives, limits and the errors before the stream opens.
 */
const keyA = 'wg_test_key_alpha_0123456789';
const keyB = 'wg_test_key_bravo_0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function withStreamApi(
  run: (api: RunningApi, channel: InProcessStreamChannel) => Promise<void>,
  options: { maxStreamsPerKey?: number } = {},
) {
  const channel = new InProcessStreamChannel();
  const api = await startApi({
    auth: { mode: 'required', keyHashes: [sha256(keyA), sha256(keyB)], rateLimitPerMinute: 0 },
    stream: { channel, maxStreamsPerKey: options.maxStreamsPerKey ?? 100, keepAliveMs: 1_000 },
    tuning: { poll: { firstDelayMs: 20, maxDelayMs: 100, growthFactor: 1.5 } },
  });
  try {
    await run(api, channel);
  } finally {
    await api.close();
    await channel.close();
  }
}

async function submit(api: RunningApi, prompt = 'Hello') {
  const reply = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt }, bearer(keyA));
  assert.equal(reply.status, 202);
  return reply.json.id as string;
}

const streamUrl = (api: RunningApi, id: string) => `${api.baseUrl}/v1/generations/${id}/stream`;

describe('GET /v1/generations/{id}/stream', () => {
  it('waits on a queued job with keep-alives, then streams its pieces and ends with the job as GET shows it', async () => {
    await withStreamApi(async (api, channel) => {
      const id = await submit(api);
      const stream = await openStream(streamUrl(api, id), { headers: bearer(keyA) });
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
      const all = readAll(stream);
      await sleep(1_300);
      assert.ok(stream.comments() >= 1, 'a keep-alive comment while queued');

      const claimed = await api.store.claimJob({
        id: id,
        workerId: 'w',
        leaseMs: 60_000,
        nowMs: Date.now(),
      });
      assert.ok(claimed);
      const text = 'Once upon a time, café 東京 🙂.';
      const cut = [0, 4, 9, 17, 25, text.length];
      const pieces = cut
        .slice(1)
        .map((end, i) => ({ offset: cut[i]!, text: text.slice(cut[i], end) }));
      // Out of order and one twice: each is placed by its offset.
      for (const i of [0, 2, 1, 1, 3]) {
        await channel.publish({ jobId: id, attempt: claimed.attempts, ...pieces[i]! });
        await sleep(30);
      }
      // The last piece is lost: the record's final text fills it.
      await api.store.completeJob({
        id: id,
        workerId: 'w',
        result: resultFor(text),
        nowMs: Date.now(),
      });
      const events = await all;
      assert.equal(streamedText(events), text);
      const get = await sendJson(
        api.baseUrl,
        'GET',
        `/v1/generations/${id}`,
        undefined,
        bearer(keyA),
      );
      assert.deepEqual(doneJob(events), get.json);
      assert.equal(events.at(-1)?.id, `${id}.done`);
      // Every text event's id says where it ends.
      let end = 0;
      for (const event of events.filter((e) => e.event === 'text')) {
        end += (JSON.parse(event.data) as { text: string }).text.length;
        assert.equal(event.id, `${id}.${claimed.attempts}.${end}`);
      }
    });
  });

  it('starts a late client at the first character, and resumes from Last-Event-ID without duplicates', async () => {
    await withStreamApi(async (api, channel) => {
      const id = await submit(api);
      const claimed = await api.store.claimJob({
        id: id,
        workerId: 'w',
        leaseMs: 60_000,
        nowMs: Date.now(),
      });
      assert.ok(claimed);
      const attempt = claimed.attempts;
      await channel.publish({ jobId: id, attempt, offset: 0, text: 'The quick ' });
      await channel.publish({ jobId: id, attempt, offset: 10, text: 'brown fox' });

      const late = await openStream(streamUrl(api, id), { headers: bearer(keyA) });
      const first = await late.events.next();
      assert.equal(first.value?.event, 'text');
      assert.equal(JSON.parse(first.value!.data).text, 'The quick brown fox');
      late.close();

      const resumed = await openStream(streamUrl(api, id), {
        headers: { ...bearer(keyA), 'last-event-id': `${id}.${attempt}.10` },
      });
      assert.equal(resumed.status, 200);
      const all = readAll(resumed);
      await sleep(50);
      await channel.publish({ jobId: id, attempt, offset: 19, text: ' jumps' });
      await sleep(50);
      await api.store.completeJob({
        id: id,
        workerId: 'w',
        result: resultFor('The quick brown fox jumps'),
        nowMs: Date.now(),
      });
      const events = await all;
      assert.equal(streamedText(events), 'brown fox jumps');

      // After the final event there is nothing more: 204, which stops an EventSource.
      const after = await openStream(streamUrl(api, id), {
        headers: { ...bearer(keyA), 'last-event-id': `${id}.done` },
      });
      assert.equal(after.status, 204);
      // The job was not canceled by the clients that went away.
      const job = await api.store.getJob(id);
      assert.equal(job?.status, 'succeeded');
    });
  });

  it('reports a job claimed again after its worker died, and starts its text over', async () => {
    await withStreamApi(async (api, channel) => {
      const id = await submit(api);
      const first = await api.store.claimJob({
        id: id,
        workerId: 'dead-worker',
        leaseMs: 50,
        nowMs: Date.now(),
      });
      assert.ok(first);
      const stream = await openStream(streamUrl(api, id), { headers: bearer(keyA) });
      const all = readAll(stream);
      await channel.publish({ jobId: id, attempt: first.attempts, offset: 0, text: 'half a sen' });
      await sleep(100);
      const second = await api.store.claimJob({
        id: id,
        workerId: 'w2',
        leaseMs: 60_000,
        nowMs: Date.now(),
      });
      assert.ok(second && second.attempts === first.attempts + 1);
      await channel.publish({ jobId: id, attempt: second.attempts, offset: 0, text: 'A whole' });
      await sleep(50);
      await api.store.completeJob({
        id: id,
        workerId: 'w2',
        result: resultFor('A whole sentence.'),
        nowMs: Date.now(),
      });
      const events = await all;
      const requeued = events.find((event) => event.event === 'requeued');
      assert.ok(requeued, JSON.stringify(events));
      assert.equal(JSON.parse(requeued.data).attempts, second.attempts);
      assert.equal(streamedText(events), 'A whole sentence.');
      // A client that saw the first attempt and reconnects is told too.
      const back = await openStream(streamUrl(api, id), {
        headers: { ...bearer(keyA), 'last-event-id': `${id}.${first.attempts}.10` },
      });
      const again = await readAll(back);
      assert.deepEqual(
        again.map((event) => event.event),
        ['requeued', 'text', 'done'],
      );
      assert.equal(streamedText(again), 'A whole sentence.');
    });
  });

  it('answers 404, 400 and 429 as JSON before any stream opens', async () => {
    await withStreamApi(
      async (api) => {
        const id = await submit(api);
        const unknown = await openStream(streamUrl(api, 'job_doesnotexist'), {
          headers: bearer(keyA),
        });
        assert.equal(unknown.status, 404);
        assert.equal(
          ((await unknown.json()) as { error: { code: string } }).error.code,
          'not_found',
        );
        const otherKey = await openStream(streamUrl(api, id), { headers: bearer(keyB) });
        assert.equal(otherKey.status, 404);
        await otherKey.json();

        for (const foreign of ['job_other.1.3', `${id}.x.3`, `${id}.5.0`, 'garbage']) {
          const bad = await openStream(streamUrl(api, id), {
            headers: { ...bearer(keyA), 'last-event-id': foreign },
          });
          assert.equal(bad.status, 400, foreign);
          const body = (await bad.json()) as { error: { details: Array<{ field: string }> } };
          assert.equal(body.error.details[0]?.field, 'headers/last-event-id');
        }

        const open = [
          await openStream(streamUrl(api, id), { headers: bearer(keyA) }),
          await openStream(streamUrl(api, id), { headers: bearer(keyA) }),
        ];
        assert.deepEqual(
          open.map((stream) => stream.status),
          [200, 200],
        );
        const third = await openStream(streamUrl(api, id), { headers: bearer(keyA) });
        assert.equal(third.status, 429);
        assert.equal(third.headers.get('retry-after'), '5');
        assert.equal(
          ((await third.json()) as { error: { code: string } }).error.code,
          'rate_limited',
        );
        // A submit that asks for a stream past the limit is refused before it writes a job.
        const before = (await api.store.countJobs()).queued;
        const refused = await openStream(`${api.baseUrl}/v1/generations`, {
          method: 'POST',
          headers: bearer(keyA),
          body: { prompt: 'one too many', stream: true },
        });
        assert.equal(refused.status, 429);
        assert.equal(refused.headers.get('retry-after'), '5');
        await refused.json();
        assert.equal((await api.store.countJobs()).queued, before);
        // Another key has its own count; a closed stream frees its place.
        const idB = (
          await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'b' }, bearer(keyB))
        ).json.id as string;
        const other = await openStream(streamUrl(api, idB), { headers: bearer(keyB) });
        assert.equal(other.status, 200);
        other.close();
        open[0]!.close();
        await sleep(100);
        const freed = await openStream(streamUrl(api, id), { headers: bearer(keyA) });
        assert.equal(freed.status, 200);
        freed.close();
        open[1]!.close();
      },
      { maxStreamsPerKey: 2 },
    );
  });
});

describe('POST /v1/generations with "stream": true', () => {
  it("answers with the new job's stream", async () => {
    await withStreamApi(async (api, channel) => {
      const stream = await openStream(`${api.baseUrl}/v1/generations`, {
        method: 'POST',
        headers: bearer(keyA),
        body: { prompt: 'Stream me', stream: true },
      });
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
      const id = (stream.headers.get('location') ?? '').split('/').at(-1)!;
      const all = readAll(stream);
      const claimed = await api.store.claimJob({
        id: id,
        workerId: 'w',
        leaseMs: 60_000,
        nowMs: Date.now(),
      });
      assert.ok(claimed);
      await channel.publish({ jobId: id, attempt: claimed.attempts, offset: 0, text: 'streamed' });
      await sleep(50);
      await api.store.completeJob({
        id: id,
        workerId: 'w',
        result: resultFor('streamed text'),
        nowMs: Date.now(),
      });
      const events = await all;
      assert.equal(streamedText(events), 'streamed text');
      assert.equal(doneJob<{ id: string }>(events).id, id);
    });
  });

  it('refuses "stream": true with Prefer: wait, naming the field, and a non-boolean stream', async () => {
    await withStreamApi(async (api) => {
      const both = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations',
        { prompt: 'x', stream: true },
        { ...bearer(keyA), prefer: 'wait=5' },
      );
      assert.equal(both.status, 400);
      assert.equal(both.json.error.details[0].field, 'body/stream');
      const notBool = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/generations',
        { prompt: 'x', stream: 'yes' },
        bearer(keyA),
      );
      assert.equal(notBool.status, 400);
      assert.match(JSON.stringify(notBool.json), /body\/stream/);
      // Neither left a job behind.
      assert.equal((await api.store.countJobs()).queued, 0);
    });
  });
});
