import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StreamChannel, StreamChunk } from '../ports/stream-channel.ts';

/**
 * What every StreamChannel adapter must do. `open` gives the worker's side (publishes) and
 * the API's side (listens): one channel in-process, two clients across a backend.
 */
export function describeStreamChannelContract(
  name: string,
  setup: {
    open(): Promise<{ worker: StreamChannel; api: StreamChannel }>;
    close(): Promise<void>;
  },
): void {
  /** Waits (real time; delivery is asynchronous on a backend) until `done` holds. */
  const eventually = async (done: () => boolean, what: string): Promise<void> => {
    for (let waited = 0; !done(); waited += 20) {
      assert.ok(waited < 20_000, `never happened: ${what}`);
      await sleep(20);
    }
  };
  const byOffset = (chunks: StreamChunk[]) => [...chunks].sort((a, b) => a.offset - b.offset);

  describe(`${name}: StreamChannel contract`, () => {
    afterEach(() => setup.close());

    it("delivers a job's chunks, intact, to its listener and not another job's", async () => {
      const { worker, api } = await setup.open();
      const [job, other] = [randomUUID(), randomUUID()];
      const got: StreamChunk[] = [];
      const gotOther: StreamChunk[] = [];
      api.listen(job, (chunk) => got.push(chunk));
      api.listen(other, (chunk) => gotOther.push(chunk));
      const sent: StreamChunk[] = [
        { jobId: job, attempt: 1, offset: 0, text: 'Café ' },
        { jobId: job, attempt: 1, offset: 5, text: '東京 🙂' },
        { jobId: job, attempt: 2, offset: 0, text: 'again\n"quoted"' },
      ];
      await Promise.all(sent.map((chunk) => worker.publish(chunk)));
      await eventually(() => got.length === sent.length, 'all three chunks');
      assert.deepEqual(
        byOffset(got).sort((a, b) => a.attempt - b.attempt),
        byOffset(sent).sort((a, b) => a.attempt - b.attempt),
      );
      assert.deepEqual(gotOther, []);
    });

    it('stops delivering to a listener removed, and keeps delivering to the others', async () => {
      const { worker, api } = await setup.open();
      const job = randomUUID();
      const kept: StreamChunk[] = [];
      const removed: StreamChunk[] = [];
      api.listen(job, (chunk) => kept.push(chunk));
      const unlisten = api.listen(job, (chunk) => removed.push(chunk));
      await worker.publish({ jobId: job, attempt: 1, offset: 0, text: 'one' });
      await eventually(() => kept.length === 1 && removed.length === 1, 'both got the first');
      unlisten();
      await worker.publish({ jobId: job, attempt: 1, offset: 3, text: 'two' });
      await eventually(() => kept.length === 2, 'the kept listener got the second');
      assert.deepEqual(
        removed.map((chunk) => chunk.text),
        ['one'],
      );
    });

    it('drops a chunk no one listens for, and a throwing listener harms no one', async () => {
      const { worker, api } = await setup.open();
      const job = randomUUID();
      await worker.publish({ jobId: randomUUID(), attempt: 1, offset: 0, text: 'nobody' });
      const got: string[] = [];
      api.listen(job, () => {
        throw new Error('a broken listener');
      });
      api.listen(job, (chunk) => got.push(chunk.text));
      await worker.publish({ jobId: job, attempt: 1, offset: 0, text: 'still here' });
      await eventually(() => got.length === 1, 'the healthy listener got it');
      assert.deepEqual(got, ['still here']);
    });

    it("hands every job's chunks to an all-jobs listener until it is removed", async () => {
      const { worker, api } = await setup.open();
      const [job, other] = [randomUUID(), randomUUID()];
      const got: string[] = [];
      const unlisten = api.listenAll((chunk) =>
        got.push(`${chunk.jobId === job ? 'a' : 'b'}:${chunk.text}`),
      );
      await worker.publish({ jobId: job, attempt: 1, offset: 0, text: 'one' });
      await worker.publish({ jobId: other, attempt: 1, offset: 0, text: 'two' });
      await eventually(() => got.length === 2, "both jobs' chunks");
      assert.deepEqual(got.sort(), ['a:one', 'b:two']);
      unlisten();
      const later: string[] = [];
      api.listen(job, (chunk) => later.push(chunk.text));
      await worker.publish({ jobId: job, attempt: 1, offset: 3, text: 'three' });
      await eventually(() => later.length === 1, 'the per-job listener got the third');
      assert.equal(got.length, 2);
    });
  });
}
