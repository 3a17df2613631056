import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestCoalescer } from './request-coalescer.ts';

function recorder(fail?: (key: string) => boolean) {
  const sent: [string, string[]][] = [];
  const coalescer = new RequestCoalescer(async (key, ids) => {
    sent.push([key, ids]);
    if (fail?.(key)) {
      throw new Error(`send ${key} failed`);
    }
  }, 3);
  return { sent, coalescer };
}

describe('RequestCoalescer', () => {
  it('sends ids added in one turn as one request per key, split at the maximum', async () => {
    const { sent, coalescer } = recorder();
    await Promise.all([
      ...['a', 'b', 'c', 'd'].map((id) => coalescer.add('ack', id)),
      coalescer.add('deadline-0', 'x'),
    ]);
    assert.deepEqual(sent, [
      ['ack', ['a', 'b', 'c']],
      ['ack', ['d']],
      ['deadline-0', ['x']],
    ]);
  });

  it('ids added in a later turn go in a new request', async () => {
    const { sent, coalescer } = recorder();
    await coalescer.add('ack', 'a');
    await coalescer.add('ack', 'b');
    assert.deepEqual(sent, [
      ['ack', ['a']],
      ['ack', ['b']],
    ]);
  });

  it('rejects every caller of a failed request, and only those', async () => {
    const { coalescer } = recorder((key) => key === 'bad');
    const outcomes = await Promise.allSettled([
      coalescer.add('bad', 'a'),
      coalescer.add('bad', 'b'),
      coalescer.add('good', 'c'),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['rejected', 'rejected', 'fulfilled'],
    );
  });
});
