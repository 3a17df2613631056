import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAuthConfig, sha256Hex } from './auth-config.ts';
import { ConfigError } from './config-error.ts';

const keyA = 'wg_live_0123456789abcdef0123';
const keyB = 'wg_live_fedcba9876543210fedc';

function failsOn(variable: string, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof ConfigError && error.variable === variable && pattern.test(error.message);
}

describe('readAuthConfig', () => {
  it('is open by default, and required with PRODUCTION', () => {
    assert.deepEqual(readAuthConfig({}, false), {
      mode: 'open',
      keyHashes: [],
      rateLimitPerMinute: 600,
    });
    assert.throws(() => readAuthConfig({}, true), failsOn('API_KEYS', /PRODUCTION=true/));
    assert.equal(readAuthConfig({ AUTH_MODE: 'open' }, true).mode, 'open');
  });

  it('keeps only digests: API_KEYS hashed, API_KEY_HASHES as given, duplicates merged', () => {
    const config = readAuthConfig(
      {
        API_KEYS: `${keyA}, ${keyB}`,
        API_KEY_HASHES: sha256Hex(keyB).toUpperCase(),
        RATE_LIMIT_PER_MINUTE: '5',
      },
      false,
    );
    assert.equal(config.mode, 'required');
    assert.deepEqual(config.keyHashes, [sha256Hex(keyA), sha256Hex(keyB)]);
    assert.equal(config.rateLimitPerMinute, 5);
    assert.ok(!JSON.stringify(config).includes(keyA));
  });

  it('refuses short keys, malformed digests and contradictions', () => {
    assert.throws(() => readAuthConfig({ API_KEYS: 'short' }, false), failsOn('API_KEYS', /20/));
    assert.throws(
      () => readAuthConfig({ API_KEY_HASHES: 'abc' }, false),
      failsOn('API_KEY_HASHES', /SHA-256/),
    );
    assert.throws(
      () => readAuthConfig({ AUTH_MODE: 'required' }, false),
      failsOn('API_KEYS', /AUTH_MODE is required/),
    );
    assert.throws(
      () => readAuthConfig({ AUTH_MODE: 'open', API_KEYS: keyA }, false),
      failsOn('AUTH_MODE', /conflicts/),
    );
  });
});
