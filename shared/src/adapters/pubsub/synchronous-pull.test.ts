import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type PullClient, pullWithWait, type ReceivedMessage } from './synchronous-pull.ts';

type Answer = ReceivedMessage[] | { code: number } | 'hang';

/** A client that answers each pull from a script, recording the requests. */
function scriptedClient(answers: Answer[]) {
  const calls: { returnImmediately: boolean; timeout: number }[] = [];
  let canceled = 0;
  const client: PullClient = {
    pull(request, options) {
      calls.push({ returnImmediately: request.returnImmediately, timeout: options.timeout });
      const answer = answers.shift() ?? [];
      const { promise, reject, resolve } =
        Promise.withResolvers<[{ receivedMessages: ReceivedMessage[] }]>();
      if (answer === 'hang') {
        // As google-gax does with the signal call option.
        options.signal.addEventListener('abort', () => {
          canceled += 1;
          reject(Object.assign(new Error('cancelled'), { code: 1 }));
        });
      } else if (Array.isArray(answer)) {
        setTimeout(() => resolve([{ receivedMessages: answer }]), 10);
      } else {
        setTimeout(() => reject(Object.assign(new Error('rpc error'), answer)), 10);
      }
      return promise;
    },
  };
  return { client, calls, canceled: () => canceled };
}

const message = (ackId: string): ReceivedMessage => ({ ackId, deliveryAttempt: 1 });
const never = new AbortController().signal;

describe('pullWithWait', () => {
  it('asks the server to wait: the RPC deadline is the wait plus the server margin', async () => {
    const { client, calls } = scriptedClient([[message('a')]]);
    const received = await pullWithWait(client, 'sub', 5, 2_000, never);
    assert.deepEqual(received, [message('a')]);
    assert.equal(calls[0]?.returnImmediately, false);
    assert.ok(calls[0] !== undefined && calls[0].timeout > 2_900 && calls[0].timeout <= 3_000);
  });

  it('a zero wait pulls once with returnImmediately', async () => {
    const { client, calls } = scriptedClient([[]]);
    assert.deepEqual(await pullWithWait(client, 'sub', 5, 0, never), []);
    assert.deepEqual(
      calls.map((call) => call.returnImmediately),
      [true],
    );
  });

  it('pulls again when the server answers early and empty, until the wait is used', async () => {
    const { client, calls } = scriptedClient([[], [], [message('b')]]);
    assert.deepEqual(await pullWithWait(client, 'sub', 5, 5_000, never), [message('b')]);
    assert.equal(calls.length, 3);
    const started = performance.now();
    const empty = scriptedClient([]);
    assert.deepEqual(await pullWithWait(empty.client, 'sub', 5, 100, never), []);
    assert.ok(performance.now() - started >= 95, 'returned before the wait was over');
  });

  it('treats DEADLINE_EXCEEDED as an empty pull and throws other errors', async () => {
    assert.deepEqual(
      await pullWithWait(scriptedClient([{ code: 4 }]).client, 's', 1, 0, never),
      [],
    );
    await assert.rejects(
      pullWithWait(scriptedClient([{ code: 14 }]).client, 's', 1, 0, never),
      /rpc error/,
    );
  });

  it('an abort cancels the pull in flight and returns nothing', async () => {
    const { client, canceled } = scriptedClient(['hang']);
    const abort = new AbortController();
    const pulling = pullWithWait(client, 'sub', 5, 60_000, abort.signal);
    await sleep(20);
    abort.abort();
    assert.deepEqual(await pulling, []);
    assert.equal(canceled(), 1);
  });
});
