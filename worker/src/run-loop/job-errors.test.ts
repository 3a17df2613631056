import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  classifyError,
  coerceError,
  errorCode,
  PermanentJobError,
  RetryableJobError,
} from './job-errors.ts';

test('classifyError: explicit kinds win over codes, known codes are looked up, the rest retry', () => {
  assert.equal(classifyError(new PermanentJobError('ENOMEM', 'x')), 'permanent');
  assert.equal(classifyError(new RetryableJobError('invalid_request', 'x')), 'retryable');
  assert.equal(
    classifyError(Object.assign(new Error('x'), { code: 'invalid_request' })),
    'permanent',
  );
  assert.equal(
    classifyError(Object.assign(new Error('x'), { code: 'ERR_OUT_OF_RANGE' })),
    'permanent',
  );
  assert.equal(classifyError(Object.assign(new Error('x'), { code: 'ENOMEM' })), 'retryable');
  assert.equal(classifyError(new Error('unknown')), 'retryable');
  const refused = Object.assign(new Error('row 2 too long'), { name: 'GenerationRequestError' });
  assert.equal(classifyError(refused), 'permanent');
  assert.equal(errorCode(refused), 'invalid_request');
  assert.equal(classifyError('a string'), 'retryable');
});

test('errorCode and coerceError keep what was thrown', () => {
  assert.equal(errorCode(new PermanentJobError('bad_row', 'x')), 'bad_row');
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 42 })), 'generation_failed');
  assert.equal(errorCode(null), 'generation_failed');
  const original = new TypeError('boom');
  assert.equal(coerceError(original), original);
  const wrapped = coerceError({ weird: true });
  assert.match(wrapped.message, /non-error thrown/);
  assert.deepEqual(wrapped.cause, { weird: true });
  const cause = new Error('inner');
  assert.equal(new RetryableJobError('engine_busy', 'outer', { cause }).cause, cause);
});
