import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Env } from '@warmgen/shared/config/parse-env.ts';
import { knownVariables, recordConfigReads, requiredVariables } from './config-reads.ts';

/** A small loadConfig of the same shape: B is read only when MODE=b and then required. */
function load(env: Env) {
  const mode = env.MODE ?? 'a';
  const port = Number(env.PORT ?? '8080');
  if (mode === 'b' && env.B === undefined) {
    throw new Error('B must be set when MODE=b');
  }
  return { mode, port, b: mode === 'b' ? env.B : null };
}

describe('config reads', () => {
  it('records every name looked up, set or not, and the outcome', () => {
    const reads = recordConfigReads(load, { MODE: 'b', B: 'x', EXTRA: 'y' });
    assert.deepEqual([...reads.read].sort(), ['B', 'MODE', 'PORT']);
    assert.deepEqual(reads.outcome, { ok: true, config: { mode: 'b', port: 8080, b: 'x' } });
    const failed = recordConfigReads(load, { MODE: 'b' });
    assert.equal(failed.outcome.ok, false);
  });

  it('knows the union of names read over several environments', () => {
    assert.deepEqual([...knownVariables(load, [{}, { MODE: 'b' }])].sort(), ['B', 'MODE', 'PORT']);
    assert.deepEqual([...knownVariables(load, [{}])].sort(), ['MODE', 'PORT']);
  });

  it('finds the required variables by removing each from a valid environment', () => {
    // Without MODE the default mode needs no B: valid again, so MODE is not "required" (which
    // is why the service checks also state what each process expects, e.g. BACKEND=gcp).
    assert.deepEqual(requiredVariables(load, { MODE: 'b', B: 'x', PORT: '1' }), ['B']);
    assert.deepEqual(requiredVariables(load, { PORT: '1' }), []);
    assert.throws(
      () => requiredVariables(load, { MODE: 'b' }),
      /needs an environment loadConfig accepts/,
    );
  });

  it('refuses a loadConfig that enumerates the environment', () => {
    const reads = recordConfigReads((env: Env) => Object.keys(env), { A: '1' });
    assert.equal(reads.outcome.ok, false);
    assert.match(
      String((reads.outcome as { error: Error }).error.message),
      /enumerates the environment/,
    );
  });
});
