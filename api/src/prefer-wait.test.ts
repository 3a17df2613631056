import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './api-error.ts';
import { parsePreferWait } from './prefer-wait.ts';

describe('parsePreferWait', () => {
  it('returns null without a wait preference', () => {
    assert.equal(parsePreferWait(undefined, 60), null);
    assert.equal(parsePreferWait('respond-async, return=minimal', 60), null);
  });

  it('reads wait among other preferences, case-insensitively, quoted or not', () => {
    assert.equal(parsePreferWait('wait=5', 60), 5);
    assert.equal(parsePreferWait('respond-async, WAIT = 7', 60), 7);
    assert.equal(parsePreferWait('wait="3"; foo=bar', 60), 3);
    assert.equal(parsePreferWait('wait=0', 60), 0);
  });

  it('caps the wait at the limit', () => {
    assert.equal(parsePreferWait('wait=600', 60), 60);
  });

  it('refuses a wait that is not a whole number of seconds', () => {
    for (const header of ['wait=', 'wait=-1', 'wait=1.5', 'wait=soon', 'wait=9999999999']) {
      assert.throws(
        () => parsePreferWait(header, 60),
        (error: unknown) => error instanceof ApiError && error.statusCode === 400,
        header,
      );
    }
  });
});
