import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storageFailureOf } from '../errors/storage-failure.ts';
import { CallDeadlineError, withCallDeadlines, withinDeadline } from './call-deadline.ts';

describe('a deadline on each port call', () => {
  it('a call that does not answer in time rejects with DEADLINE_EXCEEDED, which the storage table maps', async () => {
    const never = () => new Promise<string>(() => {});
    const error = await withinDeadline(never, 20, 'store.createJobs').then(
      () => assert.fail('answered'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof CallDeadlineError);
    assert.equal(error.message, 'store.createJobs did not answer within 20 ms');
    assert.deepEqual(storageFailureOf(error), { condition: 'deadline_exceeded', source: 'grpc 4' });
  });

  it('answers and errors in time pass through unchanged', async () => {
    assert.equal(await withinDeadline(async () => 'ok', 1_000, 'x'), 'ok');
    const own = new Error('own');
    await assert.rejects(
      withinDeadline(() => Promise.reject(own), 1_000, 'x'),
      (caught) => caught === own,
    );
  });

  it('wraps every promise-returning method, keeping `this`; close and synchronous methods stay as they are', async () => {
    class Port {
      readonly #answer = 'private field read through the real object';
      answer() {
        return Promise.resolve(this.#answer);
      }
      hang() {
        return new Promise<void>(() => {});
      }
      handle() {
        return { sync: true };
      }
      close() {
        return new Promise<void>((resolve) => setTimeout(resolve, 40));
      }
    }
    const port = withCallDeadlines(new Port(), 20, 'port');
    assert.equal(await port.answer(), 'private field read through the real object');
    await assert.rejects(port.hang(), /port\.hang did not answer within 20 ms/);
    assert.deepEqual(port.handle(), { sync: true });
    await port.close();
  });
});
