import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxRetryAfterMs, nextStep, parseRetryAfter } from './retry-schedule.ts';

const schedule = [0, 5_000, 300_000];
const now = 1_000_000;
const answer = (statusCode: number | null, retryAfterMs: number | null = null) => ({
  statusCode,
  retryAfterMs,
});

describe('nextStep', () => {
  it('2xx delivers, 410 stops, everything else retries', () => {
    for (const status of [200, 201, 204, 299]) {
      assert.deepEqual(nextStep(answer(status), 1, schedule, now), {
        state: 'delivered',
        nextAttemptAtMs: null,
      });
    }
    assert.deepEqual(nextStep(answer(410), 1, schedule, now), {
      state: 'gone',
      nextAttemptAtMs: null,
    });
    for (const status of [null, 301, 302, 307, 400, 404, 429, 500, 503]) {
      assert.equal(
        nextStep(answer(status), 1, schedule, now, () => 0.5).state,
        'pending',
        String(status),
      );
    }
  });

  it('waits the next step of the schedule, with ±20 % jitter, then gives up', () => {
    assert.equal(nextStep(answer(500), 1, schedule, now, () => 0.5).nextAttemptAtMs, now + 5_000);
    assert.equal(nextStep(answer(500), 1, schedule, now, () => 0).nextAttemptAtMs, now + 4_000);
    assert.equal(nextStep(answer(500), 1, schedule, now, () => 1).nextAttemptAtMs, now + 6_000);
    assert.equal(nextStep(answer(500), 2, schedule, now, () => 0.5).nextAttemptAtMs, now + 300_000);
    assert.deepEqual(nextStep(answer(500), 3, schedule, now), {
      state: 'failed',
      nextAttemptAtMs: null,
    });
  });

  it('Retry-After lengthens the wait (capped) but never shortens it', () => {
    const half = () => 0.5;
    assert.equal(
      nextStep(answer(429, 60_000), 1, schedule, now, half).nextAttemptAtMs,
      now + 60_000,
    );
    assert.equal(nextStep(answer(503, 1_000), 1, schedule, now, half).nextAttemptAtMs, now + 5_000);
    assert.equal(
      nextStep(answer(503, 10 * maxRetryAfterMs), 1, schedule, now, half).nextAttemptAtMs,
      now + maxRetryAfterMs,
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores the rest', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000);
    assert.equal(parseRetryAfter(new Date(now - 30_000).toUTCString(), now), 0);
    assert.equal(parseRetryAfter(undefined, now), null);
    assert.equal(parseRetryAfter('soon', now), null);
    assert.equal(parseRetryAfter('-5', now), null);
  });
});
