import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCliConfig } from './cli-config.ts';
import { CliError } from './cli-error.ts';

describe('loadCliConfig', () => {
  it("defaults to npm start's address and no key", () => {
    assert.deepEqual(loadCliConfig({}), { baseUrl: 'http://localhost:8080', apiKey: null });
    assert.deepEqual(loadCliConfig({ WARMGEN_URL: ' ', WARMGEN_API_KEY: '' }), {
      baseUrl: 'http://localhost:8080',
      apiKey: null,
    });
  });

  it('takes WARMGEN_URL (a trailing slash or a path prefix kept as given) and WARMGEN_API_KEY', () => {
    assert.deepEqual(
      loadCliConfig({ WARMGEN_URL: 'https://gen.example.com/', WARMGEN_API_KEY: 'wg_abc' }),
      { baseUrl: 'https://gen.example.com', apiKey: 'wg_abc' },
    );
    assert.equal(loadCliConfig({ WARMGEN_URL: 'http://h:9/api/' }).baseUrl, 'http://h:9/api');
  });

  it('names WARMGEN_URL when it is not an http(s) URL (a usage error, exit 2)', () => {
    for (const value of ['localhost:8080', 'ftp://h', 'not a url']) {
      assert.throws(
        () => loadCliConfig({ WARMGEN_URL: value }),
        (error: unknown) =>
          error instanceof CliError &&
          error.exitCode === 2 &&
          error.message.startsWith('WARMGEN_URL must be an http(s) URL'),
        value,
      );
    }
  });
});
