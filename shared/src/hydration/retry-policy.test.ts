import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChecksumMismatchError, StalledBodyError, TruncatedBodyError } from './hydration-errors.ts';
import { backoffMs, isRetryable, withRetry } from './retry-policy.ts';

test('throttling, server errors and broken transfers are retryable; the rest are not', () => {
  for (const code of [408, 429, 500, 502, 503, 504]) {
    assert.equal(isRetryable({ code }), true, `HTTP ${code}`);
  }
  for (const code of [400, 401, 403, 404, 412]) {
    assert.equal(isRetryable({ code }), false, `HTTP ${code}`);
  }
  assert.equal(
    isRetryable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
    true,
  );
  assert.equal(
    isRetryable(Object.assign(new Error('x'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })),
    true,
  );
  assert.equal(isRetryable(new TruncatedBodyError('short')), true);
  assert.equal(isRetryable(new StalledBodyError('stalled')), true);
  assert.equal(isRetryable(new ChecksumMismatchError('crc')), false);
  assert.equal(isRetryable(Object.assign(new Error('disk full'), { code: 'ENOSPC' })), false);
});

test('back-off doubles up to the cap with jitter, and honours Retry-After', () => {
  const options = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  for (let i = 0; i < 50; i += 1) {
    const first = backoffMs(1, options);
    assert.ok(first >= 50 && first <= 100);
    const fourth = backoffMs(4, options);
    assert.ok(fourth >= 400 && fourth <= 800);
    assert.ok(backoffMs(10, options) <= 1000);
  }
  const throttled = { code: 429, response: { headers: { 'retry-after': '0.7' } } };
  assert.ok(backoffMs(1, options, throttled) >= 700);
});

test('withRetry stops at the first non-retryable error and after the last attempt', async () => {
  const options = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls += 1;
        throw Object.assign(new Error('gone'), { code: 404 });
      },
      options,
      () => {},
    ),
    /gone/,
  );
  assert.equal(calls, 1);
  calls = 0;
  const retried: number[] = [];
  await assert.rejects(
    withRetry(
      async () => {
        calls += 1;
        throw Object.assign(new Error('busy'), { code: 503 });
      },
      options,
      (_error, attempt) => retried.push(attempt),
    ),
    /busy/,
  );
  assert.equal(calls, 3);
  assert.deepEqual(retried, [1, 2]);
  assert.equal(
    await withRetry(
      async (attempt) => (attempt < 2 ? Promise.reject({ code: 500 }) : 'ok'),
      options,
      () => {},
    ),
    'ok',
  );
});
